"""Everything the sync and async clients share that is not I/O: configuration, building
requests, reading responses and errors, retry decisions, Server-Sent Event decoding."""

import email.utils
import json
import random
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final

import httpx
from pydantic import SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.client.errors import APIConnectionError, APIError, APIStatusError, APITimeoutError, status_error
from bot.models import Answer, CitationsEvent, DeltaEvent, DoneEvent, ErrorEvent, Filters, StreamEvent, StreamItem
from bot.schemas import ChatResponse
from index.ingest.articles import Article
from index.ingest.loaders import SUFFIXES

ArticleSource = dict[str, Any] | Article | str | Path
RETRY_STATUSES: Final = frozenset({408, 409, 429})
INITIAL_DELAY_S, MAX_DELAY_S = 0.5, 8.0
_events: TypeAdapter[DeltaEvent | CitationsEvent | DoneEvent | ErrorEvent] = TypeAdapter(StreamEvent)


class NotGiven:
    """Marks an argument left out, where None means something ("no API key")."""

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


class ClientSettings(BaseSettings):
    """Where the client looks when base_url / api_key are not given."""

    model_config = SettingsConfigDict(env_prefix="NEWSBOT_", extra="ignore")

    url: str = "http://127.0.0.1:8000"
    api_key: SecretStr | None = None


class BaseClient:
    def __init__(self, base_url: str | None, api_key: str | NotGiven | None, timeout: float | httpx.Timeout,
                 max_retries: int) -> None:
        env = ClientSettings()
        self.base_url = (base_url or env.url).rstrip("/")
        if isinstance(api_key, NotGiven):
            self.api_key = env.api_key.get_secret_value() if env.api_key else None
        else:
            self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries

    # ---- requests -------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"User-Agent": "newsbot-python/0.1", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    @staticmethod
    def _chat_json(message: str, conversation_id: str | None, filters: Filters | dict[str, Any] | None,
                   stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message, "stream": stream}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        if filters is not None:
            body["filters"] = filters.model_dump(mode="json", exclude_none=True) if isinstance(filters, Filters) \
                else filters
        return body

    @staticmethod
    def _ingest_kwargs(sources: ArticleSource | Iterable[ArticleSource]) -> dict[str, Any]:
        """Articles as JSON; with files among them, one multipart request carrying the files and
        the other articles as an `articles.json` part."""
        items: Sequence[ArticleSource] = [sources] if isinstance(sources, dict | Article | str | Path) \
            else list(sources)
        articles: list[dict[str, Any]] = []
        files: list[Path] = []
        for item in items:
            if isinstance(item, Article):
                articles.append(item.model_dump(mode="json", exclude_none=True))
            elif isinstance(item, dict):
                articles.append(item)
            else:
                path = Path(item)
                if path.is_dir():
                    files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES)
                elif path.is_file():
                    files.append(path)
                else:
                    raise APIError(f"no such file or directory: {path}")
        if not files:
            return {"json": articles}
        parts = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
        if articles:
            parts.append(("files", ("articles.json", json.dumps(articles).encode(), "application/json")))
        return {"files": parts}

    # ---- responses ------------------------------------------------------------------------
    @staticmethod
    def _answer(data: Any) -> Answer:
        try:
            chat = ChatResponse.model_validate(data)
        except ValidationError as exc:
            raise APIError(f"unexpected response from the server: {exc}") from exc
        return Answer(id=chat.answer_id, text=chat.answer, answerable=chat.answerable, citations=chat.citations,
                      conversation_id=chat.conversation_id, question=chat.question, warnings=chat.warnings)

    @staticmethod
    def _status_error(response: httpx.Response) -> APIStatusError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        detail = body.get("detail") if isinstance(body, dict) else None
        message = detail if isinstance(detail, str) else (response.reason_phrase or "request failed")
        return status_error(response.status_code, message, response.headers.get("x-request-id"), body)

    @staticmethod
    def _connection_error(exc: httpx.HTTPError) -> APIConnectionError:
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"the request timed out: {exc}")
        return APIConnectionError(f"could not reach the newsbot server: {type(exc).__name__}: {exc}")

    @staticmethod
    def _retryable(response: httpx.Response) -> bool:
        return response.status_code in RETRY_STATUSES or response.status_code >= 500

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """Retry-After when the server says (up to a minute), else exponential backoff with jitter."""
        if response is not None and (after := response.headers.get("retry-after")):
            seconds: float | None = None
            try:
                seconds = float(after)
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(after)
                    seconds = when.timestamp() - time.time()
                except (TypeError, ValueError, IndexError, OverflowError):  # not a date either: back off as usual
                    seconds = None
            if seconds is not None and 0 <= seconds <= 60:
                return seconds
        delay: float = min(INITIAL_DELAY_S * 2**attempt, MAX_DELAY_S)
        return delay * (1 - 0.25 * random.random())


class SSEDecoder:
    """Server-Sent Events, line by line, into typed events; an `error` event raises."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> StreamItem | None:
        if line.startswith("data:"):
            self._data.append(line[5:].removeprefix(" "))
            return None
        if line or not self._data:
            return None  # `event:` / comments / keep-alives: the type is inside the data
        raw, self._data = "\n".join(self._data), []
        try:
            event = _events.validate_json(raw)
        except ValidationError as exc:
            raise APIError(f"unexpected event from the server: {raw[:200]}") from exc
        if isinstance(event, ErrorEvent):
            raise APIError(f"answering failed: {event.message}")
        return event
