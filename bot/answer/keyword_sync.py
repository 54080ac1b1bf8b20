"""Every worker's keyword index kept current with every worker's writes, in one place.

Writers (this process's ChunkStore, through `log_change`) log each article written or deleted in
the shared database's change log and bump its version. Readers compare a cheap signature (this
process's store generation, the shared version, and the store's size every `recheck_s`) with the
one their BM25 index reflects; when it moved, the index catches up with the logged articles alone
(a store read each), and is rebuilt from the store only without a usable log (too many changes, a
writer that logged nothing)."""

import logging
import threading
import time
from collections.abc import Callable, Collection
from typing import Protocol

from index.errors import DatabaseError
from index.store.chunks import ChunkStore
from index.store.keyword import KeywordIndex

log = logging.getLogger("newsbot")

# Articles the keyword index catches up with one by one (a store read each) rather than rebuild:
# at least this many, more in a large store (a rebuild costs ~0.1 ms per chunk).
INCREMENTAL_ARTICLES = 64
# How long the keyword index may disagree with the store's size before it is rebuilt: a write is
# logged just after it lands (milliseconds), so only a write the log never names lasts this long.
UNLOGGED_S = 5.0


class ChangeLog(Protocol):
    """What every writer to the store logs (`bot.db.database.SharedDatabase`): which articles each
    write touched, in order, so every worker's keyword index can catch up with them alone."""

    def record_changes(self, articles: Collection[str]) -> str: ...

    def last_change(self) -> int: ...

    def changes_after(self, seq: int, limit: int) -> tuple[int, set[str]] | None: ...


class CurrentKeywordIndex:
    def __init__(self, store: ChunkStore, version: Callable[[], str] | None = None,
                 change_log: Callable[[], ChangeLog] | None = None, recheck_s: float = 1.0) -> None:
        self.store, self.version, self.change_log, self.recheck_s = store, version, change_log, recheck_s
        self._keyword: KeywordIndex | None = None
        self._key: tuple[int, int, str] = (-1, -1, "")  # (generation, count, version) last read
        self._built: tuple[int, int, str] = (-1, -1, "")  # the key the keyword index reflects
        self._built_change: int | None = None  # the change log's position it reflects (None: unknown)
        self._unlogged_since: float | None = None  # when its size first disagreed with the store's
        self._checked = 0.0
        self._lock = threading.Lock()

    def log_change(self, article_id: str) -> None:
        """Each article written or deleted (the store's `on_change`): the shared version is bumped
        and the article logged. A failure must not fail the write (it happened): workers then
        notice it by the store's size, and rebuild."""
        if self.change_log is None:
            return
        try:
            self.change_log().record_changes({article_id})
        except DatabaseError as exc:
            log.warning("the store change could not be logged: %s", exc)

    def signature(self) -> tuple[int, int, str]:
        """Changes whenever the stored chunks do: this process's writes and, through the shared
        `version` every writer bumps (one small database read per call), another process's at
        once, so an article is never cited after its delete has returned; the store's size (for
        writers that bypass the version) is read at most every `recheck_s`."""
        version = self.version() if self.version else ""
        with self._lock:
            now = time.monotonic()
            old_generation, _, old_version = self._key
            if old_generation != self.store.generation or old_version != version \
                    or now - self._checked >= self.recheck_s:
                self._key = (self.store.generation, self.store.count(), version)
                self._checked = now
            return self._key

    def index(self) -> KeywordIndex:
        """The BM25 index over the stored chunks, caught up with the signature."""
        key = self.signature()
        with self._lock:
            if self._keyword is not None and key != self._built:
                self._keyword = self._caught_up(self._keyword, key)
            if self._keyword is None:
                position = self._log_position()  # before the read: a write during it is applied again later
                self._keyword = KeywordIndex(self.store.all_chunks())
                self._built, self._built_change, self._unlogged_since = key, position, None
            return self._keyword

    def _log_position(self) -> int | None:
        try:
            return self.change_log().last_change() if self.change_log else None
        except DatabaseError:
            return None

    def _caught_up(self, index: KeywordIndex, key: tuple[int, int, str]) -> KeywordIndex | None:
        if self.change_log is None or self._built_change is None:
            return None
        try:
            found = self.change_log().changes_after(self._built_change, max(INCREMENTAL_ARTICLES, len(index) // 50))
        except DatabaseError:
            return None
        if found is None:
            return None
        position, changed = found
        if changed:
            index = index.updated(changed, [c for a in sorted(changed) for c in self.store.article_chunks(a)])
        self._built_change = position
        if len(index) == key[1]:
            self._built, self._unlogged_since = key, None
            return index
        # A write under way (landed, not logged yet: looked at again next time) or one never logged.
        now = time.monotonic()
        if self._unlogged_since is None:
            self._unlogged_since = now
        return None if now - self._unlogged_since >= UNLOGGED_S else index
