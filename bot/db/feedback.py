"""Feedback on answers, and who an answer was given to (so only they may rate it)."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bot.db.engine import DatabaseCore, _brief, _conversations, _feedback, _storable, _text, _turns
from index.errors import DatabaseError, NewsbotError


class Feedback(DatabaseCore):
    def add_feedback(self, answer_id: str, value: int, channel: str, user: str | None = None,
                     comment: str | None = None) -> None:
        if not _storable(answer_id):
            raise NewsbotError("an answer id cannot contain NUL or lone surrogates")
        user, comment = (_text(user) if user else user), (_text(comment) if comment else comment)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                conn.execute(sa.insert(_feedback).values(answer_id=answer_id, value=value, channel=channel,
                                                         user=user, at=datetime.now(UTC), comment=comment))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot save the feedback: {_brief(exc)}") from exc

    def has_answer(self, answer_id: str) -> bool:
        if not _storable(answer_id):
            return False
        with self._reading() as conn:
            return conn.execute(sa.select(_turns.c.seq).where(_turns.c.id == answer_id)).first() is not None

    def answer_owner(self, answer_id: str) -> str | None:
        """The owner of the conversation an answer was given in ("" when it has none), or None when
        no such answer was given."""
        if not _storable(answer_id):
            return None
        with self._reading() as conn:
            row = conn.execute(sa.select(_conversations.c.owner).join(
                _turns, _turns.c.conversation_id == _conversations.c.id).where(_turns.c.id == answer_id)).first()
        return None if row is None else (row.owner or "")

    def feedback(self, answer_id: str) -> list[int]:
        if not _storable(answer_id):
            return []
        with self._reading() as conn:
            rows = conn.execute(sa.select(_feedback.c.value).where(_feedback.c.answer_id == answer_id)
                                .order_by(_feedback.c.seq))
            return [r.value for r in rows]
