"""Liveness, readiness and Prometheus metrics."""

import hmac

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.server.deps import BotDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready"}})
def readyz(bot: BotDep) -> dict[str, str | int]:
    """The store, the embedder and the conversation database answer."""
    try:
        chunks = bot.check_ready()
    except Exception as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"not ready: {exc}") from exc
    return {"status": "ready", "chunks": chunks}


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics: requests and latency per route, answers, refusals, ingested articles.
    Open unless NEWSBOT_METRICS_KEY is set; then that key (or an admin-scoped API key) is needed."""
    key = request.app.state.settings.metrics_key
    if key is not None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else ""
        if not hmac.compare_digest(given.encode(), key.get_secret_value().encode()):
            caller = request.app.state.key_check.identify(given or None)
            if caller is None or "admin" not in caller.scopes:
                raise HTTPException(status.HTTP_401_UNAUTHORIZED, "/metrics needs NEWSBOT_METRICS_KEY (or an admin "
                                    "API key): Authorization: Bearer KEY", headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(request.app.state.metrics.exposition_registry()), media_type=CONTENT_TYPE_LATEST)
