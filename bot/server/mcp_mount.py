"""The MCP server on the API server's /mcp (streamable HTTP), behind the same API keys and rate
limit as /v1. Stateless and answered as JSON: any worker can serve any request, as with /v1.

Host and Origin are checked by the BrowserGuard around the whole app (NEWSBOT_ALLOWED_HOSTS,
NEWSBOT_CORS_ORIGINS), so the SDK's own DNS-rebinding check is off here rather than kept twice."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import HTTPException
from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Receive, Scope, Send

from bot.mcp.server import OWNER_KEY
from bot.server.errors import send_error
from bot.server.security import KeyCheck, admit

MCP_PATH = "/mcp"


class MCPEndpoint:
    """An ASGI endpoint: checks the key, then hands the request to the running session manager."""

    def __init__(self, server: MCPServer, key_check: KeyCheck, max_body_bytes: int) -> None:
        self.server = server
        self.key_check = key_check
        self.max_body_bytes = max_body_bytes
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan. A session manager runs once, so each start makes a new one."""
        self.server.streamable_http_app(
            streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
            max_request_body_size=self.max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] == "GET":
            # A GET opens the stream of server-initiated messages, which a stateless server never
            # sends: held open, it lasted as long as the client (463 s in a probe). The spec's answer
            # for a server without that stream is 405.
            await send_error(send, scope["path"], 405, "this MCP server sends no server-initiated messages: "
                             "POST JSON-RPC requests to /mcp", [(b"allow", b"POST, DELETE")])
            return
        headers = dict(scope["headers"])
        try:
            caller = admit(self.key_check, headers.get(b"authorization", b"").decode("latin-1") or None)
        except HTTPException as exc:
            extra = [(k.lower().encode(), v.encode()) for k, v in (exc.headers or {}).items()]
            await send_error(send, scope["path"], exc.status_code, str(exc.detail), extra)
            return
        if self._manager is None:
            await send_error(send, scope["path"], 503,
                             "the MCP server is not running (the app's lifespan has not started)",
                             [(b"retry-after", b"5")])
            return
        scope.setdefault("state", {})[OWNER_KEY] = caller.owner  # conversations are the key's, as on /v1
        await self._manager.handle_request(scope, receive, send)

