"""Questions that ask for the newest ("What is the latest…", "Who is the mayor now?") are read
first in the newest of the articles retrieved for them, and their answer says as of when."""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.answer.retrieval import Passage
from bot.models import Answer
from index.ingest.dates import parse_date

_LATEST = re.compile(
    r"\b(latest|newest|most recent|recent(ly)?|today|tonight|this (week|month|year|morning|evening)|"
    r"(right )?now|currently|current|still|so far|yet|at present|at the moment|these days|anymore|any more)\b",
    re.IGNORECASE)
_CITED = re.compile(r"\[(\d+)\]")
_SLACK = timedelta(days=1)  # a date without a zone may be a day ahead of the asker's clock


_PERIODS = ((re.compile(r"\b(today|tonight|this (morning|afternoon|evening))\b", re.I), timedelta(days=1)),
            (re.compile(r"\bthis week\b", re.I), timedelta(days=7)),
            (re.compile(r"\bthis month\b", re.I), timedelta(days=31)),
            (re.compile(r"\bthis year\b", re.I), timedelta(days=366)))


def asks_for_latest(question: str) -> bool:
    return _LATEST.search(question) is not None


def window_of(question: str, default: timedelta) -> timedelta:
    """How far back "newest" reaches: the period the question names ("this week": 7 days), else
    `default` (NEWSBOT_LATEST_WINDOW_DAYS)."""
    for pattern, period in _PERIODS:
        if pattern.search(question):
            return period
    return default


def _published(passage: Passage) -> datetime | None:
    try:
        return parse_date(passage.published or None)
    except ValueError:
        return None


def newest_articles(passages: Sequence[Passage], window: timedelta, asked_at: datetime) -> list[str]:
    """The articles among those retrieved that were published within `window` of the newest dated
    one by the time asked; none when that is all of them (or none is dated): there is nothing older
    to pass over."""
    dates = {p.article_id: _published(p) for p in passages}
    dates = {a: d if d is not None and d <= asked_at + _SLACK else None for a, d in dates.items()}
    known = [d for d in dates.values() if d is not None]
    if not known:
        return []
    since = max(known) - window
    recent = [a for a, when in dates.items() if when is not None and when >= since]
    return recent if len(recent) < len(dates) else []


def as_of(answer: Answer, now: datetime, fresh: timedelta) -> str:
    """"As of 12 June 2022: " for an answer quoting an article published more than `fresh` before
    `now` ("" otherwise), so that a reader of a "now" question sees how old the news is."""
    if not answer.answerable:
        return ""
    quoted = {int(n) for n in _CITED.findall(answer.text)}
    for citation in answer.citations:
        if citation.n in quoted and citation.published:
            try:
                when = parse_date(citation.published)
            except ValueError:
                continue
            if when is None:
                continue
            return f"As of {when.day} {when:%B %Y}: " if when < now - fresh else ""
    return ""
