"""App factory and the uvicorn runner."""

import asyncio
import ipaddress
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from bot.core import Bot
from bot.errors import first_problem
from bot.mcp.server import build_mcp
from bot.schemas import EXTRA_COMPONENTS
from bot.server.admission import Admission
from bot.server.callbacks import resolve
from bot.server.deps import app_bot
from bot.server.errors import error_content, is_openai_path
from bot.server.guard import LOOPBACK_HOSTS, BrowserGuard
from bot.server.mcp_mount import MCP_PATH, MCPEndpoint
from bot.server.metrics import Metrics
from bot.server.observe import LimitBody, Observe, configure_logging
from bot.server.routes import routers
from bot.server.routes.page import page_policy
from bot.server.security import KeyCheck, RateLimiter
from bot.settings import Settings, key_pairs
from index.errors import DatabaseError, DiskFullError, EmbedderError, IngestStopped, NewsbotError, StoreError

# On SIGTERM, requests still running after this long are cancelled; an ingest among them stops
# after its current batch (a few seconds), keeping whole articles only.
SHUTDOWN_GRACE_S = 5
PRUNE_EVERY_S = 3600.0
log = logging.getLogger("newsbot")
PAGE = Path(__file__).resolve().parent.parent / "static" / "chat.html"


async def prune_conversations(app: FastAPI, every_s: float = PRUNE_EVERY_S) -> None:
    """Delete idle conversations (NEWSBOT_CONVERSATION_DAYS) now and then every `every_s`."""
    older_than = timedelta(days=app.state.settings.conversation_days)
    while True:
        try:
            gone = await run_in_threadpool(app_bot(app).database.prune, older_than)
            if gone:
                log.info("conversations pruned", extra={"fields": {"deleted": gone}})
        except NewsbotError as exc:
            log.warning("pruning conversations failed", extra={"fields": {"problem": str(exc)}})
        await asyncio.sleep(every_s)


async def poll_feeds(app: FastAPI) -> None:
    """Poll followed feeds that are due, every NEWSBOT_FEEDS__TICK_S; with several workers each
    polls, and the shared database's leases let exactly one poll a feed at a time."""
    from bot.feeds import FeedPoller, FeedStore

    poller: FeedPoller | None = None
    while True:
        try:
            if poller is None:
                bot = await run_in_threadpool(app_bot, app)
                poller = FeedPoller(bot, FeedStore.of(bot.database))
            await run_in_threadpool(poller.poll_due)
        except NewsbotError as exc:
            log.warning("polling feeds failed", extra={"fields": {"problem": str(exc)}})
        await asyncio.sleep(app.state.settings.feeds.tick_s)


def create_app(settings: Settings | None = None, bot: Bot | None = None) -> FastAPI:
    """The app for `bot`, or for a Bot made from `settings` on startup (or on first use)."""
    settings = bot.settings if bot is not None else settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(app_bot, app)  # load the store and the embedder before serving
        pruning = asyncio.create_task(prune_conversations(app)) if settings.conversation_days > 0 else None
        polling = asyncio.create_task(poll_feeds(app)) if settings.feeds.poll else None
        async with mcp_endpoint.running():
            yield
        for task in (pruning, polling):
            if task is not None:
                task.cancel()
        if app.state.bot is not None:
            app.state.bot.stop_ingests()  # those still running stop after their current batch

    # /docs loads Swagger UI from the package (fastapi-offline), never a CDN, so it works on a closed
    # network. (ReDoc is off: its bundle fetches a logo from a CDN.)
    app = FastAPIOffline(title="newsbot", version="0.1.0", lifespan=lifespan, static_url="/docs-assets", redoc_url=None,
                         description="Short, cited answers to questions about news articles.")
    app.state.settings = settings
    app.state.bot = None
    app.state.page_html = PAGE.read_text(encoding="utf-8")
    app.state.page_policy = page_policy(app.state.page_html)
    app.state.metrics = metrics = Metrics()
    shared = (lambda *bucket: app_bot(app).database.take_token(*bucket)) if settings.rate_limit_shared else None
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst, shared=shared)
    app.state.key_check = KeyCheck(key_pairs(settings.api_keys), limiter)
    if bot is not None:
        metrics.watch(bot)
        app.state.bot = bot
    app.state.clock = time.time  # for signature windows; tests move it
    app.state.resolve = resolve  # callback host lookups; tests replace it, so nothing leaves loopback
    for router in routers:
        app.include_router(router)
    mcp_endpoint = MCPEndpoint(build_mcp(lambda: app_bot(app)), app.state.key_check, settings.max_body_bytes)
    # A Route of its own, not a Mount: clients post to /mcp itself, and a mount would redirect them.
    app.router.routes.append(Route(MCP_PATH, endpoint=mcp_endpoint, methods=["GET", "POST", "DELETE"]))
    if settings.webhook.secret is not None:
        from bot.server.routes.webhook import router as webhook

        app.include_router(webhook)
    if settings.slack.enabled:
        from bot.server.routes.slack import slack_router
        from bot.slack.service import SlackService

        app.state.slack = SlackService(settings.slack, lambda: app_bot(app),
                                       lambda up: metrics.feedback.labels("slack", "up" if up else "down").inc(),
                                       lambda: app.state.clock())
        app.include_router(slack_router(app.state.slack))

    # Each middleware added wraps the ones before it. From the outside in: Observe (every request
    # gets an id and a log line), the browser guard (Host, cross-site writes, security headers),
    # CORS (so browsers can read even a 413), the size limit, then the bound on questions held.
    app.add_middleware(Admission, limit=settings.max_pending_questions)
    app.add_middleware(LimitBody, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"])
    app.add_middleware(BrowserGuard, cors_origins=settings.cors_origins, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(Observe, metrics=metrics)

    @app.exception_handler(NewsbotError)
    async def newsbot_error(request: Request, exc: NewsbotError) -> JSONResponse:
        if isinstance(exc, IngestStopped):  # the server is going down: try again later
            code, headers = 503, {"Retry-After": "10"}
        elif isinstance(exc, DiskFullError):  # writes wait for space; reads go on
            code, headers = 507, {"Retry-After": "60"}
        elif isinstance(exc, StoreError | DatabaseError | EmbedderError):  # a store away, the embedder restarting
            code, headers = 503, {"Retry-After": "5"}
        else:
            code, headers = 400, {}
        return JSONResponse(error_content(request.url.path, code, str(exc)), status_code=code, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_openai_path(request.url.path):
            return await http_exception_handler(request, exc)
        return JSONResponse(error_content(request.url.path, exc.status_code, str(exc.detail)),
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # One readable sentence first, the full list after it for programs.
        errors = list(exc.errors())
        content = error_content(request.url.path, 422, first_problem(errors))
        if "detail" in content:
            content["errors"] = _jsonable(errors)
        # ASCII escapes: the errors echo the input, and input with a lone surrogate ("\ud800",
        # which JSON allows) cannot be encoded as UTF-8.
        return Response(json.dumps(content, ensure_ascii=True), status_code=422, media_type="application/json")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(EXTRA_COMPONENTS)
            # Our 422 body (see invalid_request) replaces FastAPI's default one.
            components["HTTPValidationError"] = {
                "title": "HTTPValidationError", "type": "object", "required": ["detail"],
                "properties": {"detail": {"type": "string"},
                               "errors": {"type": "array", "items": {"type": "object"}}}}
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str})


def app_factory() -> FastAPI:
    """For each uvicorn worker process (`uvicorn --factory bot.server.app:app_factory`):
    settings from the environment."""
    settings = Settings()
    configure_logging(settings.log_format)
    return create_app(settings)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    import uvicorn

    configure_logging(settings.log_format)
    address = f"newsbot chat: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)"
    if is_loopback(host) and not settings.allowed_hosts:
        # A page elsewhere may point a DNS name at 127.0.0.1 (rebinding): serve loopback names only.
        settings = settings.model_copy(update={"allowed_hosts": LOOPBACK_HOSTS})
    if not is_loopback(host) and not settings.api_keys:
        print(f"warning: serving on {host} without API keys: anyone who can reach it can read, add and delete "
              "articles; set NEWSBOT_API_KEYS", file=sys.stderr, flush=True)
    if workers == 1:
        app = create_app(settings)
        print(address, flush=True)
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
        return
    from bot.server.workers import shared_environment

    with shared_environment(settings) as env:
        print(f"{address}, {workers} workers, Chroma at {env['NEWSBOT_CHROMA_URL']}", flush=True)
        os.environ.update(env)  # what the worker processes read their settings from
        os.environ["NEWSBOT_ALLOWED_HOSTS"] = json.dumps(settings.allowed_hosts)
        uvicorn.run("bot.server.app:app_factory", factory=True, workers=workers, host=host, port=port,
                    log_level="warning", access_log=False, timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
