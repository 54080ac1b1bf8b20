"""Slack end to end: signed requests (as Slack signs them) to a real uvicorn server running the
app, whose slack_sdk client talks to a fake Slack Web API on 127.0.0.1."""

import json
import socket
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from bot import Answer, Bot, Citation
from bot.server import create_app
from bot.settings import Settings, SlackSettings
from bot.signing import slack_signature
from bot.slack.blocks import answer_blocks
from tests.bot.server.conftest import serve_app
from tests.bot.slack.fake_slack import BOT_ID, BOT_USER, TEAM, Recorded, fake_slack
from tests.conftest import SEED

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture(scope="module")
def slack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Recorded, Bot]]:
    with fake_slack() as (slack_url, recorded):
        settings = Settings(data_dir=tmp_path_factory.mktemp("slack"), slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"), signing_secret=SecretStr(SECRET), api_url=slack_url + "/api/",
            response_url_prefixes=[slack_url + "/response/"]))
        bot = Bot(settings=settings)
        bot.ingest([SEED])
        with serve_app(create_app(bot=bot)) as url:
            yield url, recorded, bot


@pytest.fixture
def server(slack: tuple[str, Recorded, Bot]) -> tuple[str, Recorded, Bot]:
    recorded = slack[1]
    recorded.messages.clear()
    recorded.responses.clear()
    return slack


def signed(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": slack_signature(secret, ts, body)}


def event_body(event: dict[str, Any], event_id: str) -> bytes:
    return json.dumps({"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}).encode()


def post_event(url: str, event: dict[str, Any], event_id: str, **headers: str) -> httpx.Response:
    body = event_body(event, event_id)
    return httpx.post(url + "/slack/events", content=body, timeout=10,
                      headers={"Content-Type": "application/json", **signed(body), **headers})


def mention(text: str, ts: str, thread_ts: str | None = None, channel: str = "C1") -> dict[str, Any]:
    event = {"type": "app_mention", "user": "U1", "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel,
             "event_ts": ts, "team": TEAM}
    return {**event, "thread_ts": thread_ts} if thread_ts else event


def test_url_verification(server: tuple[str, Recorded, Bot]) -> None:
    url, _, _ = server
    body = json.dumps({"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"}).encode()
    r = httpx.post(url + "/slack/events", content=body, headers={"Content-Type": "application/json", **signed(body)})
    assert r.status_code == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in r.text


def test_mention_gets_a_threaded_answer_and_a_follow_up_continues_it(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, bot = server
    assert post_event(url, mention("Who attends the NATO summit?", "1700000001.000100"), "Ev-m1").status_code == 200
    first = recorded.wait("messages")[0]
    assert first["channel"] == "C1" and first["thread_ts"] == "1700000001.000100"
    assert first["authorization"] == "Bearer xoxb-test-token"
    assert "Trump" in first["text"]
    kinds = [b["type"] for b in first["blocks"]]
    assert kinds[0] == "section" and "context" in kinds and kinds[-1] == "actions"
    assert any("NATO" in b["elements"][0]["text"] for b in first["blocks"] if b["type"] == "context")

    follow = mention("And when does it start?", "1700000002.000100", thread_ts="1700000001.000100")
    assert post_event(url, follow, "Ev-m2").status_code == 200
    second = recorded.wait("messages", 2)[1]
    assert second["thread_ts"] == "1700000001.000100" and "June" in second["text"]
    conversation = bot.conversation(f"slack:{TEAM}:C1:1700000001.000100")
    assert conversation is not None and len(conversation.turns) == 2


def test_direct_message_is_answered_in_its_thread(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, _ = server
    dm = {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "1700000003.000100",
          "text": "What is the spending target?"}
    assert post_event(url, dm, "Ev-dm").status_code == 200
    message = recorded.wait("messages")[0]
    assert message["channel"] == "D1" and message["thread_ts"] == "1700000003.000100" and "3.5" in message["text"]


def test_retries_never_answer_twice(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, _ = server
    event = mention("What is the spending target?", "1700000004.000100")
    assert post_event(url, event, "Ev-retry").status_code == 200
    retry = post_event(url, event, "Ev-retry", **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200
    recorded.wait("messages")
    time.sleep(1.0)
    assert len(recorded.messages) == 1


def test_bots_and_its_own_messages_are_ignored(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, _ = server
    other_bot = {"type": "message", "channel_type": "im", "channel": "D1", "bot_id": "B9", "subtype": "bot_message",
                 "ts": "1700000005.000100", "text": "What is the spending target?"}
    own = {"type": "message", "channel_type": "im", "channel": "D1", "user": BOT_USER, "bot_id": BOT_ID,
           "ts": "1700000006.000100", "text": "What is the spending target?"}
    assert post_event(url, other_bot, "Ev-b1").status_code == 200
    assert post_event(url, own, "Ev-b2").status_code == 200
    time.sleep(1.5)
    assert recorded.messages == []


@pytest.mark.parametrize("problem", ["bad", "stale", "missing"])
def test_bad_or_stale_signatures_are_refused(server: tuple[str, Recorded, Bot], problem: str) -> None:
    url, recorded, _ = server
    body = event_body(mention("What is the spending target?", "1700000007.000100"), f"Ev-sig-{problem}")
    headers = {"bad": signed(body, secret="not-the-secret"), "stale": signed(body, int(time.time()) - 301),
               "missing": {}}[problem]
    r = httpx.post(url + "/slack/events", content=body, headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 401 and "signature" in r.json()["detail"]
    time.sleep(0.8)
    assert recorded.messages == []


def command_body(text: str, response_url: str) -> bytes:
    return urllib.parse.urlencode({"token": "legacy", "team_id": TEAM, "channel_id": "C1", "user_id": "U1",
                                   "command": "/news", "text": text, "response_url": response_url,
                                   "trigger_id": f"trig-{time.time()}"}).encode()


def test_slash_command_answers_through_response_url(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, _ = server
    slack_url = recorded_url(server)
    body = command_body("What is the spending target?", slack_url + "/response/1")
    r = httpx.post(url + "/slack/commands", content=body,
                   headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})
    assert r.status_code == 200
    response = recorded.wait("responses")[0]
    assert response["response_type"] == "ephemeral" and "3.5" in response["text"]
    assert response["blocks"][0]["type"] == "context" and "/news" in response["blocks"][0]["elements"][0]["text"]

    empty = command_body("", slack_url + "/response/2")
    r = httpx.post(url + "/slack/commands", content=empty,
                   headers={"Content-Type": "application/x-www-form-urlencoded", **signed(empty)})
    assert r.status_code == 200 and "Usage" in r.text


def recorded_url(server: tuple[str, Recorded, Bot]) -> str:
    _, _, bot = server
    return bot.settings.slack.api_url.removesuffix("/api/")


def test_acknowledges_at_once_when_answering_is_slow(server: tuple[str, Recorded, Bot],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, recorded, bot = server
    real_ask = bot.ask

    def slow_ask(*args: Any, **kwargs: Any) -> Answer:
        time.sleep(4.0)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(bot, "ask", slow_ask)
    started = time.monotonic()
    assert post_event(url, mention("What is the spending target?", "1700000008.000100"), "Ev-slow").status_code == 200
    assert time.monotonic() - started < 1.0
    body = command_body("What is the spending target?", recorded_url(server) + "/response/3")
    started = time.monotonic()
    r = httpx.post(url + "/slack/commands", content=body,
                   headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})
    assert r.status_code == 200 and time.monotonic() - started < 1.0
    assert "3.5" in recorded.wait("messages", timeout=30)[0]["text"]
    assert "3.5" in recorded.wait("responses", timeout=30)[0]["text"]
    assert time.monotonic() - started >= 3.5


def test_feedback_buttons_are_recorded_and_counted(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, bot = server
    assert post_event(url, mention("What is the spending target?", "1700000009.000100"), "Ev-fb").status_code == 200
    answer_id = recorded.wait("messages")[0]["blocks"][-1]["elements"][0]["value"]
    for n, action in enumerate(("newsbot_feedback_up", "newsbot_feedback_down", "newsbot_feedback_up")):
        body = click(recorded_url(server), action, answer_id, n)
        # each click replayed as sent (the same signed request: signed once, or a second boundary
        # between the two would make it a new request): stored once
        headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
        for _ in range(2):
            r = httpx.post(url + "/slack/interactions", content=body, headers=headers)
            assert r.status_code == 200
    deadline = time.monotonic() + 10
    while len(bot.database.feedback(answer_id)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert bot.database.feedback(answer_id) == [1, -1, 1]
    metrics = httpx.get(url + "/metrics").text
    assert 'newsbot_feedback_total{channel="slack",value="up"} 2.0' in metrics


def click(slack_url: str, action: str, answer_id: str, n: int) -> bytes:
    """A Yes/No click as Slack posts it: each click has its own trigger id and time."""
    payload = {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": TEAM}, "channel": {"id": "C1"},
               "trigger_id": f"t{n}", "response_url": slack_url + "/response/fb",
               "actions": [{"action_id": action, "block_id": "newsbot_feedback", "value": answer_id,
                            "type": "button", "action_ts": f"17000000{10 + n}.0"}]}
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_a_click_for_an_answer_never_given_stores_nothing(server: tuple[str, Recorded, Bot]) -> None:
    url, _, bot = server
    body = click(recorded_url(server), "newsbot_feedback_up", "no-such-answer", 0)
    r = httpx.post(url + "/slack/interactions", content=body,
                   headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})
    assert r.status_code == 200
    time.sleep(0.8)
    assert bot.database.feedback("no-such-answer") == []


def test_a_replayed_command_is_answered_once(server: tuple[str, Recorded, Bot]) -> None:
    url, recorded, _ = server
    body = command_body("What is the spending target?", recorded_url(server) + "/response/replay")
    headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(body)}
    assert all(httpx.post(url + "/slack/commands", content=body, headers=headers).status_code == 200
               for _ in range(3))
    recorded.wait("responses")
    time.sleep(1.5)
    assert len(recorded.responses) == 1


def test_a_response_url_outside_slack_is_never_called(server: tuple[str, Recorded, Bot]) -> None:
    """A listener on 127.0.0.1 stands where a forged response_url points: no connection reaches it."""
    url, recorded, _ = server
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(1.5)
        elsewhere = f"http://127.0.0.1:{listener.getsockname()[1]}/response/1"
        for target in (elsewhere, "http://169.254.169.254/latest/meta-data/"):
            body = command_body("What is the spending target?", target)
            r = httpx.post(url + "/slack/commands", content=body,
                           headers={"Content-Type": "application/x-www-form-urlencoded", **signed(body)})
            assert r.status_code == 200 and "not Slack's" in r.text
        with pytest.raises(TimeoutError):
            listener.accept()
    assert recorded.responses == []


@pytest.mark.parametrize(("kind", "body"), [
    ("application/json", b"{not json"),
    ("application/json", b"[1,2]"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"type": "event_callback", "event": "x", "event_id": "Ev-x"}'),
    ("application/x-www-form-urlencoded", b"payload=%7Bbad"),
    ("application/x-www-form-urlencoded", b"payload=%5B1%5D"),
    ("application/x-www-form-urlencoded", b"text=no+command"),
])
def test_signed_bodies_that_slack_never_sends_are_a_400(server: tuple[str, Recorded, Bot], kind: str,
                                                        body: bytes) -> None:
    url, _, _ = server
    for path in ("/slack/events", "/slack/commands", "/slack/interactions"):
        r = httpx.post(url + path, content=body, headers={"Content-Type": kind, **signed(body)})
        assert r.status_code == 400 and "not a Slack request" in r.json()["detail"], (path, r.text[:200])


def test_slack_without_a_signing_secret_refuses_to_start() -> None:
    with pytest.raises(ValidationError, match="SIGNING_SECRET"):
        Settings(slack=SlackSettings(bot_token=SecretStr("xoxb-1")))


def test_blocks_escape_text_and_say_plainly_when_declining() -> None:
    cited = Answer(id="a1", text="Costs rose <sharply> & fast [1].", answerable=True, citations=[
        Citation(n=1, article_id="x", title="Prices | costs", url="https://example.org/p", published="2025-06-03",
                 source="Gazette", quote="word " * 80, score=1.0)])
    blocks = answer_blocks(cited)
    assert blocks[0]["text"]["text"] == "Costs rose &lt;sharply&gt; &amp; fast [1]."
    line = blocks[1]["elements"][0]["text"]
    assert line.startswith("[1] <https://example.org/p|Prices ¦ costs> · 2025-06-03 · Gazette") and len(line) < 300
    declined = answer_blocks(Answer(text="The indexed articles don't say.", answerable=False))
    assert len(declined) == 1 and "Not in the articles" in declined[0]["text"]["text"]


def test_a_hostile_url_or_title_cannot_break_out_of_its_link() -> None:
    cited = Answer(id="a1", text="It happened [1].", answerable=True, citations=[
        Citation(n=1, article_id="x", title="<!channel> ping & <https://evil.example|click>",
                 url="https://example.org/a>|<!channel>|x&y", published=None, source="<!here>", quote="<@U123> hi",
                 score=1.0)])
    line = answer_blocks(cited)[1]["elements"][0]["text"]
    link = line.split(" ", 1)[1]
    # One link, closed once: nothing inside it opens a mention or another link.
    assert link.startswith("<https://example.org/a&gt;%7C&lt;!channel&gt;%7Cx&amp;y|") and line.count("<") == 1
    assert line.count(">") == 2 and line.endswith("> &lt;@U123&gt; hi")  # the link's end and the quote mark
    assert "<!" not in line and "<@" not in line
