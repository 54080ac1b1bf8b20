"""The Python SDK: `Client` and `AsyncClient` for a newsbot server."""

from bot.client.aio import AsyncClient
from bot.client.base import NOT_GIVEN
from bot.client.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from bot.client.sync import Client

__all__ = [
    "NOT_GIVEN", "APIConnectionError", "APIError", "APIStatusError", "APITimeoutError", "AsyncClient",
    "AuthenticationError", "BadRequestError", "Client", "InternalServerError", "NotFoundError", "RateLimitError",
]
