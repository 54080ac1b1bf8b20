"""The small state workers share to act as one: deliveries already handled (dedupe keys), the
rate-limit buckets, shared values such as the article store's version, and the log of the articles
each write to the store touched."""

import uuid
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db.engine import DatabaseCore, _brief, _buckets, _changes, _seen, _set, _state
from index.errors import DatabaseError

STORE_VERSION = "store_version"  # bumped with every logged write to the article store, so workers notice
CHANGE_LOG_KEPT = 10_000  # change-log rows kept; a reader further behind than that reads the store anew


class Coordination(DatabaseCore):
    def first_time(self, key: str, keep_s: float = 3600.0) -> bool:
        """True the first time `key` is offered (across processes sharing the database), False
        after; keys older than `keep_s` are forgotten. The window belongs to the key's kind (the
        text before its first ":"), so one caller's short window never prunes another's keys."""
        now = datetime.now(UTC)
        kind = key.split(":", 1)[0] + ":"
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                conn.execute(sa.delete(_seen).where(_seen.c.key.startswith(kind, autoescape=True),
                                                    _seen.c.at < now - timedelta(seconds=keep_s)))
                conn.execute(sa.insert(_seen).values(key=key, at=now))
            return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot record the delivery: {_brief(exc)}") from exc

    def record_changes(self, articles: Collection[str]) -> str:
        """Bump STORE_VERSION and log the `articles` a write to the article store touched, so every
        worker's keyword index catches up with those alone (`changes_after`). The version row is
        updated first: its row lock makes concurrent writers log in commit order, so a reader that
        has seen a change has seen every earlier one. One log per database: workers on another
        collection sharing it read a few entries they do not need."""
        value = uuid.uuid4().hex
        rows = [{"article_id": a} for a in sorted(articles)]
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                _set(conn, STORE_VERSION, value)
                conn.execute(sa.insert(_changes), rows)
                last = conn.execute(sa.select(sa.func.max(_changes.c.seq))).scalar_one()
                if last // 100 != (last - len(rows)) // 100:  # every hundred entries: the log stays bounded
                    conn.execute(sa.delete(_changes).where(_changes.c.seq <= last - CHANGE_LOG_KEPT))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot record the store version: {_brief(exc)}") from exc
        return value

    def last_change(self) -> int:
        """Where the change log stands (0 when empty): read it before reading the whole store, then
        `changes_after` it names whatever the read may have missed."""
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(sa.select(sa.func.max(_changes.c.seq))).scalar_one() or 0)
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc

    def changes_after(self, seq: int, limit: int) -> tuple[int, set[str]] | None:
        """The log's position and the articles written or deleted after `seq`, or None when the
        reader must read the whole store instead: more than `limit` changes, entries pruned, or a
        log that restarted (its database made anew). A gap in the sequence also says None
        (PostgreSQL skips the numbers of rolled-back inserts): a needless reread, never a missed
        change."""
        try:
            with self.engine.connect() as conn:
                low, high = conn.execute(sa.select(sa.func.min(_changes.c.seq), sa.func.max(_changes.c.seq))).one()
                if high is None or high <= seq:
                    return (seq, set()) if (high or 0) == seq else None
                if low > seq + 1 or high - seq > limit:
                    return None
                rows = conn.execute(sa.select(_changes.c.seq, _changes.c.article_id)
                                    .where(_changes.c.seq > seq, _changes.c.seq <= high).order_by(_changes.c.seq)).all()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc
        if [r.seq for r in rows] != list(range(seq + 1, high + 1)):
            return None
        return high, {r.article_id for r in rows}

    def value(self, key: str) -> str:
        try:
            with self.engine.connect() as conn:
                found = conn.execute(sa.select(_state.c.value).where(_state.c.key == key)).first()
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot read the conversation database: {_brief(exc)}") from exc
        return found.value if found else ""

    def take_token(self, key: str, rate: float, burst: float, now: float) -> float:
        """One request's token from `key`'s bucket (refilled at `rate` per second up to `burst`):
        0 when it may go ahead, else the seconds until it may. One atomic UPDATE, so workers
        sharing the database share the bucket."""
        level = _buckets.c.tokens + (now - _buckets.c.at) * rate
        refilled = sa.case((level > burst, burst), else_=level)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                taken = conn.execute(sa.update(_buckets).where(_buckets.c.key == key, refilled >= 1.0)
                                     .values(tokens=refilled - 1.0, at=now))
                if taken.rowcount:
                    return 0.0
                row = conn.execute(sa.select(_buckets.c.tokens, _buckets.c.at).where(_buckets.c.key == key)).first()
                if row is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(_buckets).values(key=key, tokens=burst - 1.0, at=now))
                    except IntegrityError:
                        pass  # another worker made it a moment ago: this one request goes ahead
                    return 0.0
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot check the rate limit: {_brief(exc)}") from exc
        tokens = min(burst, float(row.tokens) + (now - float(row.at)) * rate)
        return (1.0 - tokens) / rate
