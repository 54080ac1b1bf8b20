"""What a caller passes with a question, checked once: the question itself and its filters. Bad
input raises AnswerError with a message the surfaces show as a 4xx."""

from typing import Any

from pydantic import ValidationError

from bot.errors import AnswerError, first_problem
from bot.models import Filters


def check_question(question: object, limit: int) -> str:
    if not isinstance(question, str) or not question.strip():
        raise AnswerError("the question is empty")
    if len(question) > limit:
        raise AnswerError(f"the question is longer than {limit} characters")
    if not _valid_unicode(question):
        raise AnswerError("the question is not valid Unicode (it holds a lone surrogate)")
    return question.strip()


def as_filters(filters: Filters | dict[str, Any] | None) -> Filters | None:
    if isinstance(filters, dict):
        try:
            return Filters.model_validate(filters)
        except ValidationError as exc:
            raise AnswerError(f"invalid filters: {first_problem(exc)}") from exc
    return filters


def _valid_unicode(text: str) -> bool:
    """False for text that cannot be encoded: a lone surrogate, which JSON's \\ud800 escapes allow."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
