"""HTTP routes: one router per feature."""

import json
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, StreamingResponse

from bot.models import ErrorEvent
from bot.server.deps import BotDep
from bot.server.schemas import ArticleIn, ArticlePage, ChatRequest, ChatResponse, IngestResult
from index.errors import NewsbotError

chat = APIRouter(prefix="/v1", tags=["chat"])
articles = APIRouter(prefix="/v1/articles", tags=["articles"])
health = APIRouter(tags=["health"])
page = APIRouter(include_in_schema=False)


@chat.post("/chat", response_model=ChatResponse, responses={400: {"description": "bad question or filters"}})
def post_chat(req: ChatRequest, bot: BotDep, request: Request) -> ChatResponse | StreamingResponse:
    """Answer a message; with `stream` (or Accept: text/event-stream) as Server-Sent Events."""
    conversation_id = req.conversation_id or uuid.uuid4().hex
    question = bot.check_question(req.message)
    if req.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = bot.stream(question, conversation_id=conversation_id, filters=req.filters)
        first = next(events)  # retrieval errors surface as a 4xx before the stream starts
        return StreamingResponse(_sse(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = bot.ask(question, conversation_id=conversation_id, filters=req.filters)
    return ChatResponse(answer=answer.text, answerable=answer.answerable, citations=answer.citations,
                        conversation_id=conversation_id, warnings=answer.warnings)


def _sse(first: object, rest: Iterator[object]) -> Iterator[bytes]:
    def frame(event: object) -> bytes:
        data = event.model_dump_json()  # type: ignore[attr-defined]
        return f"event: {json.loads(data)['type']}\ndata: {data}\n\n".encode()

    yield frame(first)
    try:
        for event in rest:
            yield frame(event)
    except NewsbotError as exc:
        yield frame(ErrorEvent(message=str(exc)))


@articles.post("", response_model=IngestResult, status_code=status.HTTP_200_OK)
def post_articles(bot: BotDep, body: Annotated[ArticleIn | list[ArticleIn], Body()]) -> IngestResult:
    """Add or update one article or a list of them (idempotent)."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "no articles given")
    report = bot.ingest([a.as_source() for a in items])
    return IngestResult(added=report.added, updated=report.updated, unchanged=report.unchanged)


@articles.get("", response_model=ArticlePage)
def list_articles(bot: BotDep, offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50) -> ArticlePage:
    """Stored articles, newest first."""
    infos = bot.articles()
    return ArticlePage(items=infos[offset : offset + limit], total=len(infos), offset=offset, limit=limit)


@articles.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {}})
def delete_article(article_id: str, bot: BotDep) -> None:
    """Delete an article and all its chunks."""
    if not bot.delete(article_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no article with id {article_id!r}")


@health.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@health.get("/readyz")
def readyz(bot: BotDep) -> dict[str, str | int]:
    """The store and the embedder are loaded."""
    try:
        chunks = bot.store.count()
        bot.embeddings.embed_query("ready")
    except Exception as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"not ready: {exc}") from exc
    return {"status": "ready", "chunks": chunks}


@page.get("/", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    return HTMLResponse(request.app.state.page_html)
