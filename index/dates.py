"""Reading the dates real data carries: ISO 8601, `2022/06/12`, RFC 2822 (feeds), "June 11, 2022"."""

import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime

import dateutil.parser

_DOTTED = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}\b")  # 19.01.2020: day first, as wherever dots are used


def parse_date(value: object, end_of_day: bool = False) -> datetime | None:
    """A timezone-aware datetime (UTC where the value names no zone), or None for no value.
    A bare day means its first moment, or its last with `end_of_day` (so "on or before
    2025-06-03" keeps the whole day). Raises ValueError with the value quoted when it is not a date."""
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
    if parsed is None:
        raise ValueError(f"cannot read {text!r} as a date (use e.g. 2025-06-03 or 2025-06-03T14:30:00Z)")
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
