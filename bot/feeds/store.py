"""Followed feeds in the shared database: what each feed is, when it is next due, who is polling it
(a lease, so that with several workers exactly one polls a feed at a time), and the items already
seen (by id or link, and by content hash)."""

import hashlib
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db.database import SharedDatabase, _storable
from bot.schemas import Feed
from index.errors import DatabaseError

_metadata = sa.MetaData()
_feeds = sa.Table(
    "feeds", _metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # from the URL, so adding one twice finds it
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("every_s", sa.Float, nullable=False),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("added_at", sa.Float, nullable=False),  # times are Unix seconds: compared in SQL on every dialect
    sa.Column("next_due", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_modified", sa.Text, nullable=True),
    sa.Column("last_fetched_at", sa.Float, nullable=True),
    sa.Column("last_new_at", sa.Float, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("items_seen", sa.Integer, nullable=False, default=0),
)
_items = sa.Table(
    "feed_items", _metadata,
    sa.Column("feed_id", sa.String(16), primary_key=True),
    sa.Column("key", sa.String(600), primary_key=True),  # "id:" + the item's id or link, "hash:" + its content's
    sa.Column("at", sa.Float, nullable=False),
)


def feed_id(url: str) -> str:
    return hashlib.sha256(url.strip().encode()).hexdigest()[:16]


def _when(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


class FeedStore:
    """The feeds table over the shared database's engine (one per database: `of(database)`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine  # its tables are made by the shared database's migrations (bot/db/migrations)

    @staticmethod
    def of(database: SharedDatabase) -> "FeedStore":
        found = _stores.get(database)
        if found is None:
            found = _stores[database] = FeedStore(database.engine)
        return found

    def add(self, url: str, every_s: float, now: float) -> tuple[Feed, bool]:
        """(the feed, True when it is new); a feed followed already keeps its state and takes the new
        interval. A new feed is due at once."""
        fid = feed_id(url)
        try:
            with self.engine.begin() as conn:
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(_feeds).values(id=fid, url=url, every_s=every_s, added_at=now,
                                                              next_due=now, failures=0, items_seen=0))
                    created = True
                except IntegrityError:
                    conn.execute(sa.update(_feeds).where(_feeds.c.id == fid).values(every_s=every_s))
                    created = False
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot save the feed: {exc}") from exc
        feed = self.get(fid)
        assert feed is not None
        return feed, created

    def get(self, fid: str) -> Feed | None:
        found = self._select(_feeds.c.id == fid)
        return found[0] if found else None

    def find(self, id_or_url: str) -> Feed | None:
        if not _storable(id_or_url):  # PostgreSQL's text holds no NUL: no feed has one
            return None
        return self.get(id_or_url) or self.get(feed_id(id_or_url))

    def all(self) -> list[Feed]:
        return self._select(sa.true())

    def remove(self, fid: str) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(_items).where(_items.c.feed_id == fid))
                return conn.execute(sa.delete(_feeds).where(_feeds.c.id == fid)).rowcount > 0
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot remove the feed: {exc}") from exc

    def due(self, now: float) -> list[str]:
        """Feeds due and not being polled, the longest-waiting first."""
        free = sa.or_(_feeds.c.lease_until.is_(None), _feeds.c.lease_until < now)
        query = sa.select(_feeds.c.id).where(_feeds.c.next_due <= now, free).order_by(_feeds.c.next_due)
        return [row.id for row in self._run(query)]

    def claim(self, fid: str, worker: str, now: float, lease_s: float, force: bool = False) -> bool:
        """Take the feed's lease when it is due (or `force`) and nobody holds it: one UPDATE, so of
        workers racing for it exactly one wins."""
        free = sa.or_(_feeds.c.lease_until.is_(None), _feeds.c.lease_until < now)
        due = sa.true() if force else _feeds.c.next_due <= now
        try:
            with self.engine.begin() as conn:
                taken = conn.execute(sa.update(_feeds).where(_feeds.c.id == fid, free, due)
                                     .values(lease_owner=worker, lease_until=now + lease_s))
                return bool(taken.rowcount == 1)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot claim the feed: {exc}") from exc

    def unseen(self, fid: str, keys: Iterable[str]) -> set[str]:
        wanted = set(keys)
        if not wanted:
            return set()
        query = sa.select(_items.c.key).where(_items.c.feed_id == fid, _items.c.key.in_(sorted(wanted)))
        return wanted - {row.key for row in self._run(query)}

    def finish(self, fid: str, worker: str, now: float, *, keys: Iterable[str] = (), new_items: int = 0,
               error: str | None = None, title: str | None = None, etag: str | None = None,
               last_modified: str | None = None, not_modified: bool = False, max_backoff_s: float = 86400.0) -> None:
        """Record a poll and give the lease back. A failure doubles the wait for each failure in a
        row (up to `max_backoff_s`) and keeps the validators; success resets it."""
        feed = self.get(fid)
        if feed is None:
            return  # removed while it was polled
        values: dict[str, object] = {"lease_owner": None, "lease_until": None, "last_fetched_at": now}
        if error is not None:
            failures = feed.failures + 1
            values |= {"failures": failures, "last_error": error[:500],
                       "next_due": now + min(feed.every_s * 2 ** failures, max(max_backoff_s, feed.every_s))}
        else:
            values |= {"failures": 0, "last_error": None, "next_due": now + feed.every_s,
                       "items_seen": _feeds.c.items_seen + new_items}
            if not not_modified:
                values |= {"etag": etag, "last_modified": last_modified}
            if title:
                values["title"] = title[:500]
            if new_items:
                values["last_new_at"] = now
        rows = [{"feed_id": fid, "key": key[:600], "at": now} for key in set(keys)]
        try:
            with self.engine.begin() as conn:
                for row in rows:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(_items).values(**row))
                    except IntegrityError:
                        pass  # seen under another key already
                conn.execute(sa.update(_feeds).where(_feeds.c.id == fid, _feeds.c.lease_owner == worker)
                             .values(**values))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot record the poll: {exc}") from exc

    def validators(self, fid: str) -> tuple[str | None, str | None]:
        query = sa.select(_feeds.c.etag, _feeds.c.last_modified).where(_feeds.c.id == fid)
        rows = self._run(query)
        return (rows[0].etag, rows[0].last_modified) if rows else (None, None)

    def _select(self, where: sa.ColumnElement[bool]) -> list[Feed]:
        rows = self._run(sa.select(_feeds).where(where).order_by(_feeds.c.added_at, _feeds.c.id))
        return [Feed(id=r.id, url=r.url, every_s=r.every_s, title=r.title, added_at=_when(r.added_at),
                     next_poll_at=_when(r.next_due), last_fetched_at=_when(r.last_fetched_at),
                     last_new_item_at=_when(r.last_new_at), last_error=r.last_error, failures=r.failures,
                     items_seen=r.items_seen) for r in rows]

    def _run(self, query: sa.Select[Any]) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(query))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the feeds: {exc}") from exc


_stores: "weakref.WeakKeyDictionary[SharedDatabase, FeedStore]" = weakref.WeakKeyDictionary()
