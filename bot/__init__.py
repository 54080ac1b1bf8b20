"""newsbot: ask questions about news articles, get short answers with their sources."""

from bot.core import Bot
from bot.models import Answer, Citation, CitationsEvent, DeltaEvent, DoneEvent, ErrorEvent, Filters
from bot.settings import Settings
from index.errors import AnswerError, ConfigError, IngestError, NewsbotError, StoreError

__all__ = [
    "Answer", "AnswerError", "Bot", "Citation", "CitationsEvent", "ConfigError", "DeltaEvent", "DoneEvent",
    "ErrorEvent", "Filters", "IngestError", "NewsbotError", "Settings", "StoreError",
]
