"""The signed webhook: sync answers, callbacks with retries, refused signatures, and callbacks
only to the hosts allowed (refused before any connection)."""

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot import Bot
from bot.server import create_app
from bot.server.routes.webhook import SIGNATURE, TIMESTAMP, signed_headers
from bot.settings import WebhookSettings
from bot.signing import webhook_signature
from tests.bot.server.conftest import serve_app

SECRET = "webhook-secret-0123456789"


@pytest.fixture(scope="module")
def hook_bot(app_bot: Bot) -> Bot:
    webhook = WebhookSettings(secret=SecretStr(SECRET), callback_backoff_s=0.05, callback_attempts=4,
                              callback_hosts=["127.0.0.1"])  # the test receivers: loopback, listed explicitly
    return Bot(settings=app_bot.settings.model_copy(update={"webhook": webhook}))


@pytest.fixture
def hook(hook_bot: Bot) -> TestClient:
    return TestClient(create_app(bot=hook_bot))


def send(client: TestClient | httpx.Client, payload: dict[str, Any], **overrides: Any) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {**signed_headers(SECRET, body), **overrides}
    return client.post("/v1/webhook", content=body, headers=headers)


def test_signed_question_is_answered_in_the_response(hook: TestClient) -> None:
    r = send(hook, {"message": "Who attends the NATO summit?", "conversation_id": "ticket-42"})
    assert r.status_code == 200 and "Trump" in r.json()["answer"] and r.json()["conversation_id"] == "ticket-42"
    follow = send(hook, {"message": "And when does it start?", "conversation_id": "ticket-42"})
    assert follow.status_code == 200 and "June" in follow.json()["answer"]


def test_bad_stale_and_replayed_signatures_get_401(hook: TestClient) -> None:
    payload = {"message": "What is the spending target?"}
    assert send(hook, payload, **{SIGNATURE: "0" * 64}).status_code == 401
    assert send(hook, payload, **{SIGNATURE: ""}).status_code == 401
    old = str(int(time.time()) - 301)
    body = json.dumps(payload).encode()
    stale = hook.post("/v1/webhook", content=body, headers={
        TIMESTAMP: old, SIGNATURE: webhook_signature(SECRET, old, body), "Content-Type": "application/json"})
    assert stale.status_code == 401 and "window" in stale.json()["detail"]
    headers = signed_headers(SECRET, body)
    assert hook.post("/v1/webhook", content=body, headers=headers).status_code == 200
    replay = hook.post("/v1/webhook", content=body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]


@pytest.mark.parametrize("timestamp", ["\u00b2", "1" * 400, "-5", " 17", "1e9"])
def test_malformed_timestamps_get_401_before_any_work(hook: TestClient, timestamp: str) -> None:
    body = json.dumps({"message": "What is the spending target?"}).encode()
    r = hook.post("/v1/webhook", content=body, headers={
        TIMESTAMP: timestamp.encode("latin-1"), SIGNATURE: webhook_signature(SECRET, timestamp, body),  # type: ignore[dict-item]
        "Content-Type": "application/json"})
    assert r.status_code == 401 and "timestamp" in r.json()["detail"]


def test_clock_skew_beyond_five_minutes_is_refused(hook_bot: Bot) -> None:
    app = create_app(bot=hook_bot)
    app.state.clock = lambda: time.time() + 400
    r = send(TestClient(app), {"message": "What is the spending target?"})
    assert r.status_code == 401


def test_signed_but_invalid_bodies_get_4xx(hook: TestClient) -> None:
    assert send(hook, {"message": ""}).status_code == 422
    assert send(hook, {"message": "hi", "colour": "red"}).status_code == 422
    assert send(hook, {"message": "hi", "callback_url": "ftp://example.org/x"}).status_code == 422
    assert send(hook, {"message": "   "}).status_code == 400
    body = b"{not json"
    r = hook.post("/v1/webhook", content=body, headers=signed_headers(SECRET, body))
    assert r.status_code == 422


def test_webhook_is_off_without_a_secret(app_bot: Bot, tmp_path: Path) -> None:
    assert TestClient(create_app(bot=app_bot)).post("/v1/webhook", json={"message": "hi"}).status_code == 404


class Receiver:
    """A real callback endpoint on 127.0.0.1 answering with the given statuses in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[float, dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.calls.append((time.monotonic(), dict(self.headers), body))
                status = receiver.statuses[min(len(receiver.calls), len(receiver.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                """Quiet."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.calls) >= count, f"{len(self.calls)} callbacks"


@pytest.fixture(scope="module")
def live_hook(hook_bot: Bot) -> Iterator[str]:
    with serve_app(create_app(bot=hook_bot)) as url:
        yield url


def test_callback_is_signed_and_retried_with_backoff(live_hook: str) -> None:
    receiver = Receiver([503, 503, 200])
    with httpx.Client(base_url=live_hook) as client:
        r = send(client, {"message": "What is the spending target?", "callback_url": receiver.url})
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    receiver.wait(3)
    time.sleep(0.3)
    assert len(receiver.calls) == 3
    (t1, _, _), (t2, _, _), (t3, headers, body) = receiver.calls
    assert t3 - t2 > t2 - t1 > 0.04  # backoff doubles
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-newsbot-signature"] == webhook_signature(SECRET, lower["x-newsbot-timestamp"], body)
    answer = json.loads(body)
    assert "3.5" in answer["answer"] and answer["conversation_id"] == r.json()["conversation_id"]
    receiver.server.shutdown()


@pytest.mark.parametrize("status", [400, 307])  # refused: not retried; a redirect: not followed either
def test_callback_is_sent_once_when_the_receiver_refuses_or_redirects_it(live_hook: str, status: int) -> None:
    receiver = Receiver([status])
    with httpx.Client(base_url=live_hook) as client:
        assert send(client, {"message": "What is the spending target?", "callback_url": receiver.url}
                    ).status_code == 202
    receiver.wait(1)
    time.sleep(0.5)
    assert len(receiver.calls) == 1
    receiver.server.shutdown()


def hook_with(app_bot: Bot, hosts: list[str]) -> Bot:
    webhook = WebhookSettings(secret=SecretStr(SECRET), callback_backoff_s=0.01, callback_attempts=2,
                              callback_hosts=hosts)
    return Bot(settings=app_bot.settings.model_copy(update={"webhook": webhook}))


def test_callbacks_are_off_unless_hosts_are_listed(app_bot: Bot) -> None:
    client = TestClient(create_app(bot=hook_with(app_bot, [])))
    r = send(client, {"message": "What is the spending target?", "callback_url": "https://hooks.example.com/x"})
    assert r.status_code == 400 and "callbacks are off" in r.json()["detail"]


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[::1]:8000/v1/webhook",
    "http://2130706433/v1/webhook",  # 127.0.0.1 written as a number
    "http://0x7f.1/",
    "http://localhost:8000/v1/webhook",
    "https://hooks.example.test.evil.example/x",
    "http://10.0.0.8/",
])
def test_hosts_not_listed_are_refused_before_any_connection(app_bot: Bot, url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[httpx.Request] = []
    monkeypatch.setattr(httpx.AsyncClient, "send", lambda self, request, **kw: sent.append(request))
    app = create_app(bot=hook_with(app_bot, ["hooks.example.test", "*.news.example"]))
    looked_up: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.216.34"]

    app.state.resolve = resolver
    r = send(TestClient(app), {"message": "What is the spending target?", "callback_url": url,
                               "conversation_id": uuid.uuid4().hex})
    assert r.status_code == 400 and "not allowed" in r.json()["detail"]
    assert sent == [] and looked_up == []


class Recorded:
    """Stands in for the network: records what the callback would send, connects nowhere."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: list[httpx.Request] = []

        async def send(client: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> httpx.Response:
            self.requests.append(request)
            return httpx.Response(200, request=request)

        monkeypatch.setattr(httpx.AsyncClient, "send", send)


def callback_through(app_bot: Bot, addresses: list[str], monkeypatch: pytest.MonkeyPatch,
                     caplog: pytest.LogCaptureFixture, hosts: list[str] | None = None) -> Recorded:
    recorded = Recorded(monkeypatch)
    app = create_app(bot=hook_with(app_bot, hosts or ["hooks.example.test"]))

    async def resolver(host: str, port: int) -> list[str]:
        assert host == "hooks.example.test" and port == 8443
        return addresses

    app.state.resolve = resolver
    with caplog.at_level("INFO", logger="newsbot.webhook"):
        r = send(TestClient(app), {"message": "What is the spending target?", "conversation_id": uuid.uuid4().hex,
                                   "callback_url": "https://hooks.example.test:8443/cb?token=t0ken"})
    assert r.status_code == 202
    return recorded


@pytest.mark.parametrize("addresses", [
    ["169.254.169.254"], ["10.0.0.5"], ["127.0.0.1"], ["::1"], ["fe80::1"], ["93.184.216.34", "192.168.1.1"],
    ["::ffff:169.254.169.254"], ["224.0.0.1"],
])
def test_a_listed_name_that_resolves_inside_is_refused_after_dns(
        app_bot: Bot, addresses: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    recorded = callback_through(app_bot, addresses, monkeypatch, caplog)
    assert recorded.requests == []  # nothing was sent anywhere
    refused = [r for r in caplog.records if r.getMessage() == "callback refused"]
    assert refused and "non-public address" in refused[0].fields["problem"]  # type: ignore[attr-defined]


def test_a_checked_public_address_is_the_one_connected_to(
        app_bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    recorded = callback_through(app_bot, ["93.184.216.34"], monkeypatch, caplog)
    [request] = recorded.requests
    assert str(request.url) == "https://93.184.216.34:8443/cb?token=t0ken"
    assert request.headers["host"] == "hooks.example.test:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.test"  # the certificate is checked for the name
    assert "t0ken" not in caplog.text


def test_a_private_address_listed_explicitly_is_allowed(
        app_bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    recorded = callback_through(app_bot, ["10.1.2.3"], monkeypatch, caplog, ["hooks.example.test", "10.1.0.0/16"])
    assert [str(r.url.host) for r in recorded.requests] == ["10.1.2.3"]


def test_credentials_in_a_callback_url_are_sent_as_auth_and_never_logged(
        live_hook: str, caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver([200])
    url = receiver.url.replace("http://", "http://hookuser:s3cret-pw@") + "?sig=qu3ry-secret"
    with caplog.at_level("INFO", logger="newsbot.webhook"), httpx.Client(base_url=live_hook) as client:
        assert send(client, {"message": "What is the spending target?", "callback_url": url}).status_code == 202
        receiver.wait(1)
        time.sleep(0.2)
    lower = {k.lower(): v for k, v in receiver.calls[0][1].items()}
    assert lower["authorization"] == httpx.BasicAuth("hookuser", "s3cret-pw")._auth_header
    logged = " ".join(f"{r.getMessage()} {getattr(r, 'fields', '')}" for r in caplog.records)
    assert "callback delivered" in logged and "s3cret" not in logged and "qu3ry" not in logged
    receiver.server.shutdown()



def test_the_webhook_cannot_continue_another_channels_conversation(hook: TestClient, hook_bot: Bot) -> None:
    hook_bot.ask("What is the spending target?", conversation_id="slack:T2:C2:9.9", owner="slack")
    r = send(hook, {"message": "And by when?", "conversation_id": "slack:T2:C2:9.9"})
    assert r.status_code == 409 and "taken" in r.json()["detail"]
    assert len(hook_bot.conversation("slack:T2:C2:9.9").turns) == 1  # type: ignore[union-attr]
    mine = "ticket-" + uuid.uuid4().hex
    assert send(hook, {"message": "Who attends the NATO summit?", "conversation_id": mine}).status_code == 200
    assert send(hook, {"message": "And when does it start?", "conversation_id": mine}).status_code == 200
