"""What a browser elsewhere must not do: write through a visitor's browser (a `no-cors` POST from
another site works without any API key), or reach a loopback server by a rebound DNS name. Plus
the headers every response carries.

- Unsafe methods (POST, PUT, PATCH, DELETE) from a browser on another site are refused with 403:
  `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither this server's own nor listed in
  NEWSBOT_CORS_ORIGINS. Programs (curl, the SDK, Slack, webhooks) send neither header.
- With NEWSBOT_ALLOWED_HOSTS set (`newsbot serve` on a loopback address defaults it to the
  loopback names), a request naming another Host gets 400.
"""

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.server.errors import send_error

SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY")]
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1"]
_SAFE = {"GET", "HEAD", "OPTIONS"}


def host_name(host: str) -> str:
    """'example.com:8000' -> 'example.com', '[::1]:8000' -> '::1'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host: str, allowed: Sequence[str]) -> bool:
    name = host_name(host).rstrip(".")
    for entry in (a.strip().lower() for a in allowed):
        if entry == "*" or entry == name or (entry.startswith("*.") and name.endswith(entry[1:])):
            return True
    return False


class BrowserGuard:
    def __init__(self, app: ASGIApp, cors_origins: Sequence[str] = (), allowed_hosts: Sequence[str] = ()) -> None:
        self.app = app
        self.origins = {o.rstrip("/").lower() for o in cors_origins}
        self.allowed_hosts = list(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.allowed_hosts and not host_allowed(host, self.allowed_hosts):
            await send_error(send, scope["path"], 400, "the Host header names a host this server does not serve "
                             "(NEWSBOT_ALLOWED_HOSTS)", SECURITY_HEADERS)
            return
        if scope["method"] not in _SAFE and self._cross_site(headers, host):
            await send_error(send, scope["path"], 403, "cross-site requests may not change anything here; call the "
                             "API from a program, or list the site in NEWSBOT_CORS_ORIGINS", SECURITY_HEADERS)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _cross_site(self, headers: dict[str, str], host: str) -> bool:
        origin = headers.get("origin", "").rstrip("/").lower()
        if origin and origin in self.origins:
            return False
        if headers.get("sec-fetch-site") == "cross-site":
            return True
        # Compared by host only: behind a TLS proxy the page is https while we see http.
        # "null" (sandboxed frames, file: pages) is never our own origin.
        return bool(origin) and origin.split("://", 1)[-1] != host.lower()
