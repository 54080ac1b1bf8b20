"""Errors of the SDK. No httpx exception leaks out of a client method.

    NewsbotError
    └── APIError
        ├── APIStatusError (status_code, request_id, message, body)
        │   ├── BadRequestError          400, 413, 415, 422
        │   ├── AuthenticationError      401
        │   ├── NotFoundError            404
        │   ├── RateLimitError           429
        │   └── InternalServerError      5xx
        └── APIConnectionError
            └── APITimeoutError
"""

from typing import Any

from index.errors import NewsbotError


class APIError(NewsbotError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class APIStatusError(APIError):
    def __init__(self, message: str, status_code: int, request_id: str | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        rid = f", request id {self.request_id}" if self.request_id else ""
        return f"HTTP {self.status_code}: {self.message}{rid}"


class BadRequestError(APIStatusError):
    pass


class AuthenticationError(APIStatusError):
    pass


class NotFoundError(APIStatusError):
    pass


class RateLimitError(APIStatusError):
    pass


class InternalServerError(APIStatusError):
    pass


class APIConnectionError(APIError):
    pass


class APITimeoutError(APIConnectionError):
    pass


def status_error(status_code: int, message: str, request_id: str | None, body: Any) -> APIStatusError:
    cls: type[APIStatusError]
    if status_code in (400, 413, 415, 422):
        cls = BadRequestError
    elif status_code == 401:
        cls = AuthenticationError
    elif status_code == 404:
        cls = NotFoundError
    elif status_code == 429:
        cls = RateLimitError
    elif status_code >= 500:
        cls = InternalServerError
    else:
        cls = APIStatusError
    return cls(message, status_code, request_id, body)
