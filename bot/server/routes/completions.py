"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models, so that any OpenAI
client or chat UI (the `openai` package, Open WebUI, LibreChat) can talk to newsbot unchanged.
Errors on these paths come in OpenAI's shape (bot.server.errors)."""

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import StreamingResponse

from bot.models import Answer, CitationsEvent, DeltaEvent, DoneEvent, StreamItem
from bot.server.deps import BotDep
from bot.server.openai_shapes import (
    MODEL_ID,
    AssistantMessage,
    ChatCompletion,
    ChatMessage,
    Choice,
    CompletionRequest,
    ModelCard,
    ModelList,
    OpenAIErrorBody,
    Usage,
    chunk,
)
from bot.server.security import ApiKey
from index.errors import NewsbotError

router = APIRouter(prefix="/v1", tags=["openai"], dependencies=[ApiKey])
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": OpenAIErrorBody} for code in (400, 401, 404, 422, 429, 503)}
STARTED = int(time.time())

STREAM_DOC = ("With `stream: true`: `text/event-stream` of `chat.completion.chunk` objects, the answer text "
              "in `delta.content`, then a last chunk whose `delta.citations` holds the citations "
              "(`finish_reason: stop`), a usage chunk if `stream_options.include_usage`, and `data: [DONE]`.")

# One Server-Sent Event: `data` is a chat.completion.chunk as JSON, or the last event's `[DONE]`.
SSE_CHUNK = {"type": "object", "required": ["data"], "description": "one Server-Sent Event",
             "properties": {"data": {"type": "string", "description": "a chat.completion.chunk as JSON, or [DONE]"}}}


@router.get("/models", response_model=ModelList, responses=ERRORS)
def list_models() -> ModelList:
    """The one model served: `newsbot`."""
    return ModelList(data=[ModelCard(id=MODEL_ID, created=STARTED)])


@router.get("/models/{model_id}", response_model=ModelCard, responses=ERRORS)
def get_model(model_id: str) -> ModelCard:
    if model_id != MODEL_ID:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no model {model_id!r}; this server serves {MODEL_ID!r}")
    return ModelCard(id=MODEL_ID, created=STARTED)


@router.post("/chat/completions", response_model=ChatCompletion, description=STREAM_DOC,
             responses={**ERRORS, 200: {"content": {"text/event-stream": {"schema": SSE_CHUNK}}}})
def chat_completions(req: CompletionRequest, bot: BotDep) -> ChatCompletion | StreamingResponse:
    """Answer the last user message from the stored articles, reading earlier user and
    assistant messages as the conversation so far (system messages are not instructions to an
    extractive reader, and are ignored). Nothing is recorded on the server."""
    question, exchanges = _split(req.messages)
    question = bot.check_question(question)
    history = bot.history_from(exchanges)
    read = exchanges[-bot.settings.history_turns:]  # what history_from reads
    prompt_words = _words(question) + sum(_words(q) + _words(a) for q, a in read)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if req.stream:
        events = bot.stream(question, filters=req.filters, history=history)
        first = next(events)  # a bad filter or an unreachable store is an error status, not a broken stream
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        frames = _frames(first, events, completion_id, created, req.model, prompt_words, include_usage)
        return StreamingResponse(frames, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    answer = bot.ask(question, filters=req.filters, history=history)
    return ChatCompletion(id=completion_id, created=created, model=req.model, usage=_usage(prompt_words, answer),
                          choices=[Choice(message=AssistantMessage(content=answer.text, citations=answer.citations))])


def _split(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last message, which must be the user's) and the earlier (user,
    assistant) exchanges, oldest first."""
    if messages[-1].role != "user":
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the last message must be the user's question "
                            f"(role 'user'), not role {messages[-1].role!r}")
    exchanges: list[tuple[str, str]] = []
    pending: str | None = None
    for message in messages[:-1]:
        if message.role == "user":
            if pending is not None:
                exchanges.append((pending, ""))
            pending = message.content
        elif message.role == "assistant" and pending is not None:
            exchanges.append((pending, message.content))
            pending = None
    if pending is not None:
        exchanges.append((pending, ""))
    return messages[-1].content, exchanges


def _words(text: str) -> int:
    return len(text.split())


def _usage(prompt_words: int, answer: Answer) -> Usage:
    completion = _words(answer.text)
    return Usage(prompt_tokens=prompt_words, completion_tokens=completion, total_tokens=prompt_words + completion)


def _frames(first: StreamItem, rest: Iterator[StreamItem], completion_id: str, created: int, model: str,
            prompt_words: int, include_usage: bool) -> Iterator[bytes]:
    def data(payload: object) -> bytes:
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()

    yield data(chunk(completion_id, created, model, {"role": "assistant", "content": ""}))
    try:
        for event in itertools.chain([first], rest):
            if isinstance(event, DeltaEvent):
                yield data(chunk(completion_id, created, model, {"content": event.text}))
            elif isinstance(event, CitationsEvent):
                citations = [c.model_dump(mode="json") for c in event.citations]
                yield data(chunk(completion_id, created, model, {"citations": citations}, "stop"))
            elif isinstance(event, DoneEvent) and include_usage:
                usage = _usage(prompt_words, event.answer).model_dump()
                yield data({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                            "model": model, "choices": [], "usage": usage})
    except NewsbotError as exc:  # after the 200 has gone: OpenAI's clients raise on an error event
        yield data({"error": {"message": str(exc), "type": "server_error", "param": None, "code": None}})
    yield b"data: [DONE]\n\n"
