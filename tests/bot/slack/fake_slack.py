"""A fake Slack: a real HTTP server on 127.0.0.1 that speaks enough of the Web API
(auth.test, chat.postMessage) and takes response_url posts, recording what it is sent."""

import http.server
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

BOT_USER, BOT_ID, TEAM = "UBOT", "BBOT", "T1"


@dataclass
class Recorded:
    messages: list[dict[str, Any]] = field(default_factory=list)  # chat.postMessage arguments
    responses: list[dict[str, Any]] = field(default_factory=list)  # response_url bodies
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, kind: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                items = list(getattr(self, kind))
            if len(items) >= count:
                return items
            time.sleep(0.02)
        raise AssertionError(f"expected {count} {kind}, got {len(items)}")


def _parse(content_type: str, raw: bytes) -> dict[str, Any]:
    if content_type.startswith("application/json"):
        parsed: dict[str, Any] = json.loads(raw or b"{}")
        return parsed
    form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
    if isinstance(form.get("blocks"), str):
        form["blocks"] = json.loads(form["blocks"])
    return form


class _Handler(http.server.BaseHTTPRequestHandler):
    recorded: Recorded

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        args = _parse(self.headers.get("Content-Type", ""), raw)
        path = urllib.parse.urlsplit(self.path).path
        if path.endswith("/auth.test"):
            self._json({"ok": True, "team": "Test", "team_id": TEAM, "user": "newsbot", "user_id": BOT_USER,
                        "bot_id": BOT_ID, "is_enterprise_install": False, "url": "https://test.slack.com/"})
        elif path.endswith("/chat.postMessage"):
            args["authorization"] = self.headers.get("Authorization")
            with self.recorded.lock:
                self.recorded.messages.append(args)
            self._json({"ok": True, "channel": args.get("channel"), "ts": f"{time.time():.6f}"})
        elif path.startswith("/response/"):
            with self.recorded.lock:
                self.recorded.responses.append(args)
            self._json({"ok": True})
        else:
            self._json({"ok": False, "error": "unknown_method", "path": self.path})

    def _json(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@contextmanager
def fake_slack() -> Iterator[tuple[str, Recorded]]:
    """Yields the fake's base URL and what it records."""
    recorded = Recorded()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Handler,), {"recorded": recorded}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    finally:
        server.shutdown()
