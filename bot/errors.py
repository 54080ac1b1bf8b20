"""The one way a validation error becomes a sentence for people (and AnswerError, whose home is
index/errors.py with every other error)."""

from typing import Any

from pydantic import ValidationError

from index.errors import AnswerError

__all__ = ["AnswerError", "first_problem"]


def first_problem(exc: ValidationError | list[Any], prefix: str = "") -> str:
    """A validation error as one sentence, "where: what", from its first problem; `prefix`
    names what was validated ("filters")."""
    errors = exc.errors() if isinstance(exc, ValidationError) else exc
    first = errors[0] if errors else {"loc": (), "msg": "invalid input"}
    where = ".".join(str(p) for p in first["loc"] if p != "body")
    where = f"{prefix}.{where}" if prefix and where else where or prefix
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
