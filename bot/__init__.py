"""newsbot: ask questions about news articles, get short answers with their sources."""

from typing import TYPE_CHECKING

from index.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.client import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APITimeoutError,
        AsyncClient,
        AuthenticationError,
        BadRequestError,
        Client,
        InternalServerError,
        NotFoundError,
        RateLimitError,
    )
    from bot.core import Bot
    from bot.models import Answer, Citation, CitationsEvent, DeltaEvent, DoneEvent, ErrorEvent, Filters
    from bot.settings import Settings
    from index.errors import (
        AnswerError,
        ConfigError,
        DatabaseError,
        EmbedderError,
        IngestError,
        NewsbotError,
        StoreError,
    )

# Each name is imported on first use (PEP 562): `newsbot ask` or `from bot import Client` then
# loads only what it needs, not Chroma and LangChain for every command.
_HOME = {
    **dict.fromkeys(["APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "AsyncClient",
                     "AuthenticationError", "BadRequestError", "Client", "InternalServerError", "NotFoundError",
                     "RateLimitError"], "bot.client"),
    "Bot": "bot.core",
    **dict.fromkeys(["Answer", "Citation", "CitationsEvent", "DeltaEvent", "DoneEvent", "ErrorEvent", "Filters"],
                    "bot.models"),
    "Settings": "bot.settings",
    **dict.fromkeys(["AnswerError", "ConfigError", "DatabaseError", "EmbedderError", "IngestError", "NewsbotError",
                     "StoreError"], "index.errors"),
}
__all__ = [
    "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "Answer", "AnswerError", "AsyncClient",
    "AuthenticationError", "BadRequestError", "Bot", "Citation", "CitationsEvent", "Client", "ConfigError",
    "DatabaseError",
    "DeltaEvent", "DoneEvent", "EmbedderError", "ErrorEvent", "Filters", "IngestError", "InternalServerError",
    "NewsbotError",
    "NotFoundError", "RateLimitError", "Settings", "StoreError",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOME, globals())
