"""POST /v1/chat: an answer as JSON, or streamed as Server-Sent Events."""

import json
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from bot.db.database import new_conversation_id
from bot.models import ErrorEvent
from bot.schemas import ChatRequest, ChatResponse, ErrorBody
from bot.server.deps import BotDep
from bot.server.security import ApiKey, Principal
from index.errors import NewsbotError

router = APIRouter(prefix="/v1", tags=["chat"], dependencies=[ApiKey])

SSE_DOC = ("With `stream: true` or `Accept: text/event-stream`: `text/event-stream` with events "
           "`delta` ({type, text}), then `citations` ({type, answerable, citations}), then `done` "
           "({type, answer}); `error` ({type, message}) if answering fails midway.")

SSE_EVENT = {"type": "object", "required": ["data"], "description": "one Server-Sent Event", "properties": {
    "event": {"type": "string", "enum": ["delta", "citations", "done", "error"]},
    "data": {"type": "string", "contentMediaType": "application/json", "description": "the event as JSON"}}}


@router.post("/chat", response_model=ChatResponse, description=SSE_DOC,
             responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody, "description": "unknown conversation"},
                        200: {"content": {"text/event-stream": {"schema": SSE_EVENT}}}})
def post_chat(req: ChatRequest, bot: BotDep, request: Request, owner: Principal) -> ChatResponse | StreamingResponse:
    """Answer a message; a follow-up continues the conversation given by `conversation_id` (one
    made with the same API key: others' conversations are 404 here)."""
    question = bot.check_question(req.message)
    if req.conversation_id is None:
        conversation_id = new_conversation_id()
    elif bot.database.belongs_to(req.conversation_id, owner):
        conversation_id = req.conversation_id
    else:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation with id {req.conversation_id!r}; "
                            "leave conversation_id out to start one")
    if req.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = bot.stream(question, conversation_id=conversation_id, filters=req.filters, owner=owner)
        first = next(events)  # retrieval errors surface as a 4xx before the stream starts
        return StreamingResponse(_sse(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = bot.ask(question, conversation_id=conversation_id, filters=req.filters, owner=owner)
    return ChatResponse.from_answer(answer)


def _sse(first: BaseModel, rest: Iterator[BaseModel]) -> Iterator[bytes]:
    def frame(event: BaseModel) -> bytes:
        data = event.model_dump_json()
        return f"event: {json.loads(data)['type']}\ndata: {data}\n\n".encode()

    yield frame(first)
    try:
        for event in rest:
            yield frame(event)
    except NewsbotError as exc:
        yield frame(ErrorEvent(message=str(exc)))
