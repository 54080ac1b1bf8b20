"""The signed webhook: sync answers, callbacks with retries, and refused signatures."""

import http.server
import json
import threading
import time
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
    webhook = WebhookSettings(secret=SecretStr(SECRET), callback_backoff_s=0.05, callback_attempts=4)
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


def test_callback_is_not_retried_when_the_receiver_refuses_it(live_hook: str) -> None:
    receiver = Receiver([400])
    with httpx.Client(base_url=live_hook) as client:
        assert send(client, {"message": "What is the spending target?", "callback_url": receiver.url}
                    ).status_code == 202
    receiver.wait(1)
    time.sleep(0.5)
    assert len(receiver.calls) == 1
    receiver.server.shutdown()
