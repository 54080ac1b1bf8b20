"""Exceptions raised by newsbot.

NewsbotError
 ├── IngestError     an article or source could not be read, parsed or stored
 │    └── IngestStopped   the ingest was stopped (client gone, shutdown); whole articles kept
 ├── StoreError      the vector store failed or is inconsistent
 ├── DatabaseError   the shared SQL database (conversations, feedback, feeds, shared state) failed or is away
 ├── EmbedderError   the embedding model failed on a request (its process stopped)
 ├── DiskFullError   the data dir's volume is nearly full: writes refused, reads go on
 ├── ConfigError     a setting is missing, unsafe or names an extra that is not installed
 └── AnswerError     a question was rejected or could not be answered

The SDK's errors (bot.client.errors: APIError and below) derive from NewsbotError too. The HTTP
mapping of each lives in the server (bot/server/app.py).
"""


class NewsbotError(Exception):
    """Root of every error newsbot raises on purpose."""


class IngestError(NewsbotError):
    """An article or source could not be loaded or stored."""

    def __init__(self, message: str, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class IngestStopped(IngestError):
    """An ingest stopped between batches: the articles written so far are whole, the rest not begun."""


class StoreError(NewsbotError):
    """The vector store failed."""


class ConfigError(NewsbotError):
    """A setting is missing or unsafe, or an optional extra is not installed."""


class EmbedderError(NewsbotError):
    """The embedding model failed on a request (its process stopped): worth retrying."""


class DiskFullError(NewsbotError):
    """The data dir's volume is nearly full: writes are refused before they could half-apply."""


class DatabaseError(NewsbotError):
    """The shared SQL database failed or is away: worth retrying."""


class AnswerError(NewsbotError):
    """A question was rejected or could not be answered (bad question, bad filters, LLM failure)."""
