"""ASGI middleware: request ids, one structured log line per request, metrics, body size limit.

Pure ASGI rather than BaseHTTPMiddleware, so streamed (SSE) responses pass through untouched
and are timed to their last byte."""

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.server.errors import send_error
from bot.server.metrics import Metrics

log = logging.getLogger("newsbot.http")
REQUEST_ID_HEADER = "x-request-id"
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
                                 "level": record.levelname.lower(), "logger": record.name,
                                 "msg": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(fmt: str) -> None:
    handler = logging.StreamHandler()
    if fmt == "json":
        logging.Formatter.converter = time.gmtime
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s %(fields)s",
                                               defaults={"fields": ""}))
    root = logging.getLogger("newsbot")
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


class Observe:
    """Gives every request an id (the client's X-Request-ID if it is sane), returns it in the
    response, logs the request and records its route, status and time in the metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status, started_response = message["status"], True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.encode(), request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # An error nothing else handled: logged with its traceback and answered here, so that the
            # 500 carries the request id too (the framework's own 500 would be sent outside us).
            log.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            if started_response:
                raise
            status = 500
            await send_error(send, scope["path"], 500, f"internal error (request id {request_id})",
                             [(REQUEST_ID_HEADER.encode(), request_id.encode())])
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info("request", extra={"fields": {
                "request_id": request_id, "method": scope["method"], "path": scope["path"], "route": route,
                "status": status, "duration_ms": round(elapsed * 1000, 1)}})


class LimitBody:
    """413 for a body over the limit, by Content-Length up front or by counting a chunked body."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        too_big = f"the request body is larger than {self.max_bytes} bytes"
        number = length is not None and length.isdigit() and len(length) <= 18  # bytes: ASCII digits only
        if length is not None and (not number or int(length) > self.max_bytes):
            await send_error(send, scope["path"], 413 if number else 400, too_big if number else "bad Content-Length")
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(413, too_big)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await send_error(send, scope["path"], 413, too_big)


class _TooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on as a 413 instead of a 400."""
