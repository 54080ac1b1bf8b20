"""Polling followed feeds: claim a due feed (one worker at a time), GET it conditionally, ingest the
items not seen before, record how it went, give the feed back."""

import logging
import math
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.core import Bot
from bot.feeds.pages import PageFetcher
from bot.feeds.store import FeedStore
from bot.schemas import Feed
from bot.settings import FeedSettings
from index.errors import IngestError, NewsbotError
from index.ingest.charsets import decode
from index.ingest.feeds import read_feed
from index.ingest.fetch import fetch

log = logging.getLogger("newsbot.feeds")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
MAX_EVERY_S = 366 * 86400.0
_UNSENDABLE = re.compile("[\x00-\x20\x7f\ud800-\udfff]")  # no HTTP client sends these in a URL
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_interval(text: str | float, settings: FeedSettings) -> float:
    """Seconds from "15m", "1h", "90s", "2d" or a number of seconds; shorter than the minimum
    interval is refused."""
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        found = _INTERVAL.match(text)
        if found is None:
            raise NewsbotError(f"not an interval: {text[:40]!r}; write e.g. 15m, 1h, 90s or 2d")
        seconds = float(found[1]) * _UNIT_S[(found[2] or "s").lower()]
    if not math.isfinite(seconds) or seconds > MAX_EVERY_S:
        raise NewsbotError(f"polling every {text!s:.40} is not an interval newsbot keeps: at most 366 days")
    if seconds < settings.min_every_s:
        raise NewsbotError(f"polling every {seconds:g} s is more often than the minimum, {settings.min_every_s:g} s "
                           "(NEWSBOT_FEEDS__MIN_EVERY_S)")
    return seconds


def check_feed_url(url: str) -> str:
    url = url.strip()
    if not url.startswith(("http://", "https://")) or len(url) > 2000 or _UNSENDABLE.search(url):
        raise NewsbotError("a feed is followed by its http:// or https:// URL (at most 2,000 characters, "
                           "without spaces or control characters)")
    return url


@dataclass
class PollResult:
    feed_id: str
    url: str
    new_items: int = 0
    not_modified: bool = False
    error: str | None = None
    skipped: list[str] = field(default_factory=list)  # items that are no article, pages not read, and why


class FeedPoller:
    """Polls the feeds of `store` into `bot`; `worker` names this process in the leases."""

    def __init__(self, bot: Bot, store: FeedStore, worker: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.store = store
        self.settings = bot.settings.feeds
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.clock = clock

    def poll_due(self, limit: int = 20) -> list[PollResult]:
        """Poll the feeds that are due and that no other worker is polling (at most `limit`)."""
        results = []
        for fid in self.store.due(self.clock())[:limit]:
            result = self.poll(fid)
            if result is not None:
                results.append(result)
        return results

    def poll(self, fid: str, force: bool = False) -> PollResult | None:
        """Poll one feed; None when another worker holds it (or, without `force`, it is not due)."""
        if not self.store.claim(fid, self.worker, self.clock(), self.settings.lease_s, force=force):
            return None
        feed = self.store.get(fid)
        if feed is None:
            return None
        try:
            result = self._poll(feed)
        except NewsbotError as exc:
            result = PollResult(fid, feed.url, error=str(exc))
            self.store.finish(fid, self.worker, self.clock(), error=result.error,
                              max_backoff_s=self.settings.max_backoff_s)
        except BaseException:
            self.store.finish(fid, self.worker, self.clock(), error="the poll was interrupted",
                              max_backoff_s=self.settings.max_backoff_s)
            raise
        fields = {"feed": feed.url, "new_items": result.new_items, "not_modified": result.not_modified,
                  "error": result.error, "skipped": len(result.skipped)}
        (log.warning if result.error else log.info)("feed polled", extra={"fields": fields})
        return result

    def _poll(self, feed: Feed) -> PollResult:
        etag, last_modified = self.store.validators(feed.id)
        got = fetch(feed.url, timeout=self.settings.timeout_s, private_hosts=self.bot.settings.fetch_private_hosts,
                    max_bytes=self.settings.max_bytes, etag=etag, last_modified=last_modified)
        if got.not_modified:
            self.store.finish(feed.id, self.worker, self.clock(), not_modified=True)
            return PollResult(feed.id, feed.url, not_modified=True)
        if got.content_type.startswith("text/html"):
            raise IngestError(f"not a feed: the server sent {got.content_type}", feed.url[:200])
        read = read_feed(decode(got.body, feed.url, declared=got.charset, markup="json" not in got.content_type),
                         feed.url)
        keys = {item.key: f"id:{item.key}" for item in read.items}
        hashes = {item.content_hash: f"hash:{item.content_hash}" for item in read.items}
        unseen = self.store.unseen(feed.id, [*keys.values(), *hashes.values()])
        new = [item for item in read.items if keys[item.key] in unseen and hashes[item.content_hash] in unseen]
        capped = len(new) > self.settings.max_items
        new = new[: self.settings.max_items]
        pages = PageFetcher(self.settings, self.bot.settings.fetch_private_hosts)
        articles, page_problems = pages.complete([item.article for item in new])
        report = self.bot.ingest(articles, on_error="skip") if articles else None
        stored = set(report.added + report.updated + report.unchanged) if report else set()
        # Items refused for good (too long, no text) are remembered with the rest: they would be
        # refused again. Over the cap, the validators are dropped, so the next poll reads the rest.
        self.store.finish(feed.id, self.worker, self.clock(), new_items=len(stored),
                          title=read.items[0].article.source if read.items else None,
                          etag=None if capped else got.etag, last_modified=None if capped else got.last_modified,
                          keys=[k for item in new for k in (keys[item.key], hashes[item.content_hash])])
        skipped = [str(problem) for problem in read.problems] + page_problems + [
            message for _, message in (report.failed if report else [])]
        return PollResult(feed.id, feed.url, new_items=len(stored), skipped=skipped)
