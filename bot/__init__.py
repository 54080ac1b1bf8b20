"""newsbot: ask questions about news articles, get short answers with their sources."""

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
from index.errors import AnswerError, ConfigError, IngestError, NewsbotError, StoreError

__all__ = [
    "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "Answer", "AnswerError", "AsyncClient",
    "AuthenticationError", "BadRequestError", "Bot", "Citation", "CitationsEvent", "Client", "ConfigError",
    "DeltaEvent", "DoneEvent", "ErrorEvent", "Filters", "IngestError", "InternalServerError", "NewsbotError",
    "NotFoundError", "RateLimitError", "Settings", "StoreError",
]
