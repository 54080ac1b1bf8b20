"""Bodies of the OpenAI-compatible chat API, as OpenAI's API reference defines them (the parts
a chat client sends and reads), with newsbot's extensions: `filters` on the request, `citations`
on the assistant message."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.models import Citation, Filters
from bot.settings import MAX_MESSAGE_CHARS

MODEL_ID = "newsbot"
MAX_PARTS = 100


class ChatMessage(BaseModel):
    # Clients send more (name, tool_calls, refusal, ...): accepted, not used.
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str = Field("", description="text, or a list of text parts (`{type: text, text}`); other kinds of "
                                         "part (images, audio, files) are refused")

    @field_validator("content", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            if len(value) > MAX_PARTS:
                raise ValueError(f"at most {MAX_PARTS} content parts")
            texts = []
            for part in value:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind != "text" or not isinstance(part.get("text"), str):
                    raise ValueError(f"only text content is read, not a part of type {str(kind)[:40]!r}")
                texts.append(part["text"])
            value = "\n".join(texts)
        if isinstance(value, str) and len(value) > MAX_MESSAGE_CHARS:
            raise ValueError(f"a message is longer than {MAX_MESSAGE_CHARS} characters")
        return value  # type: ignore[return-value]  # anything else: pydantic's own "should be a string"


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class CompletionRequest(BaseModel):
    # Sampling parameters (temperature, top_p, max_tokens, seed, ...) are accepted and have no
    # effect: the answer is read from the articles.
    model_config = ConfigDict(extra="ignore")

    model: str = Field(max_length=200, description="accepted and echoed; GET /v1/models lists `newsbot`")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200,
                                        description="the last user message is the question; earlier user and "
                                                    "assistant messages are the conversation so far")
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="one choice only")
    filters: Filters | None = Field(None, description="newsbot extension: restrict the articles read")


class Usage(BaseModel):
    """Counted in words (whitespace-separated), since no language model's tokens are spent:
    `prompt_tokens` for the messages read, `completion_tokens` for the answer."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None
    citations: list[Citation] = Field(description="newsbot extension: the passages the answer's [n] markers cite; "
                                                  "empty when the articles don't say")


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "newsbot"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIError(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    error: OpenAIError


def chunk(completion_id: str, created: int, model: str, delta: dict[str, Any],
          finish_reason: str | None = None) -> dict[str, Any]:
    """One `chat.completion.chunk` of a streamed answer."""
    return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}]}
