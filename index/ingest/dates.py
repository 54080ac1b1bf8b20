"""Reading the dates real data carries: ISO 8601, `2022/06/12`, RFC 2822 (feeds), "June 11, 2022"."""

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

import dateutil.parser

_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}\b")  # 19.01.2020: day first, as wherever dots are used


def parse_date(value: object, end_of_day: bool = False, relative: bool = False) -> datetime | None:
    """A timezone-aware datetime (UTC where the value names no zone), or None for no value.
    A bare day means its first moment, or its last with `end_of_day` (so "on or before
    2025-06-03" keeps the whole day). With `relative` (a filter, resolved at the time asked), words
    such as "last week" or "3 days ago" are read too; an article's own date never is. Raises
    ValueError with the value quoted when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return _day(value, end_of_day)
    if not isinstance(value, str):
        raise ValueError(f"expected a date as text, got {type(value).__name__}")
    text = value.strip()
    if len(text) > 64:
        raise ValueError("a date is at most 64 characters")
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _rfc2822(text) or _free_form(text)
        resolved = _relative(text) if parsed is None and relative else None
        if resolved is not None:  # "yesterday", "last week": that day, whole, unless hours are counted
            return resolved if _CLOCK_UNITS.search(text) else _day(resolved.date(), end_of_day)
    if parsed is None:
        hint = ', 2025-06-03T14:30:00Z or "last week"' if relative else " or 2025-06-03T14:30:00Z"
        raise ValueError(f"cannot read {text!r} as a date (use e.g. 2025-06-03{hint})")
    if ":" not in text and parsed.tzinfo is None and parsed.time() == time():  # a day, no time of it
        return _day(parsed.date(), end_of_day)
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:  # what every later step does with it: an offset of a day or more, or a year past 9999, fails here
        parsed.timestamp()
        parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"cannot read {text!r} as a date: {exc}") from None
    return parsed


def _day(day: date, end_of_day: bool) -> datetime:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1, microseconds=-1) if end_of_day else start


def _rfc2822(text: str) -> datetime | None:
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: a year of 11 digits
        return None


def _free_form(text: str) -> datetime | None:
    try:
        parsed: datetime = dateutil.parser.parse(text, dayfirst=bool(_DOTTED.match(text)))
        return parsed
    except (ValueError, OverflowError):
        return None


_RELATIVE = re.compile(r"\b(ago|last|past|yesterday|today|now|this|week|month|year|days?|hours?)\b", re.IGNORECASE)


_CLOCK_UNITS = re.compile(r"\b(hours?|minutes?|seconds?)\b", re.IGNORECASE)


def _relative(text: str) -> datetime | None:
    """"last week", "3 days ago", "yesterday": resolved against now (dateparser), in UTC."""
    if not _RELATIVE.search(text):
        return None
    import dateparser

    parsed: datetime | None = dateparser.parse(text, languages=["en"], settings={
        "RELATIVE_BASE": datetime.now(UTC).replace(tzinfo=None), "PREFER_DATES_FROM": "past",
        "TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True})
    return parsed
