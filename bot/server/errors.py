"""Error bodies: `{"detail": ...}` for newsbot's own API, OpenAI's `{"error": {...}}` on the
OpenAI-compatible paths, so that each ecosystem's clients read their own shape."""

import json
from collections.abc import Sequence
from typing import Any

from starlette.types import Send

OPENAI_PATHS = ("/v1/chat/completions", "/v1/models")

# OpenAI's error types and codes, by HTTP status (https://platform.openai.com/docs/guides/error-codes).
_OPENAI_KINDS: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("authentication_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "request_too_large"),
    422: ("invalid_request_error", None),
    429: ("rate_limit_error", "rate_limit_exceeded"),
    503: ("server_error", "service_unavailable"),
}


def is_openai_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPENAI_PATHS)


def error_content(path: str, status: int, detail: str, param: str | None = None) -> dict[str, Any]:
    if not is_openai_path(path):
        return {"detail": detail}
    kind, code = _OPENAI_KINDS.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    return {"error": {"message": detail, "type": kind, "param": param, "code": code}}


def error_bytes(path: str, status: int, detail: str) -> bytes:
    # ASCII escapes: a detail may echo input holding a lone surrogate, which UTF-8 cannot encode.
    return json.dumps(error_content(path, status, detail), ensure_ascii=True).encode()



async def send_error(send: Send, path: str, status: int, detail: str,
                     headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """An error answered by middleware, below FastAPI's exception handlers."""
    body = error_bytes(path, status, detail)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
