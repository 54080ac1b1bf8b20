"""Conversations and their turns, each conversation with its owner."""

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.db.engine import DatabaseCore, _brief, _conversations, _feedback, _storable, _text, _turns, _utc
from bot.models import Answer, Conversation, Turn
from index.errors import DatabaseError, NewsbotError


class Conversations(DatabaseCore):
    def exists(self, conversation_id: str) -> bool:
        if not _storable(conversation_id):
            return False
        with self._reading() as conn:
            found = conn.execute(sa.select(_conversations.c.id).where(_conversations.c.id == conversation_id))
            return found.first() is not None

    def belongs_to(self, conversation_id: str, owner: str) -> bool:
        """The conversation exists and was made by `owner`: others are told it does not exist."""
        if not _storable(conversation_id):
            return False
        with self._reading() as conn:
            found = conn.execute(sa.select(_conversations.c.owner).where(_conversations.c.id == conversation_id))
            row = found.first()
            return row is not None and row.owner == owner

    def get(self, conversation_id: str, last: int | None = None) -> Conversation | None:
        """The conversation with all its turns (or only the `last` ones), oldest first."""
        if not _storable(conversation_id):
            return None
        with self._reading() as conn:
            head = conn.execute(sa.select(_conversations).where(_conversations.c.id == conversation_id)).first()
            if head is None:
                return None
            query = sa.select(_turns).where(_turns.c.conversation_id == conversation_id).order_by(_turns.c.seq.desc())
            if last is not None:
                query = query.limit(last)
            rows = list(conn.execute(query))[::-1]
        turns = [Turn(id=r.id, question=r.question, standalone=r.standalone,
                      answer=Answer.model_validate_json(r.answer), created_at=_utc(r.created_at)) for r in rows]
        return Conversation(id=head.id, created_at=_utc(head.created_at), turns=turns)

    def history(self, conversation_id: str, last: int = 4) -> list[Turn]:
        conversation = self.get(conversation_id, last=last)
        return conversation.turns if conversation else []

    def add_turn(self, conversation_id: str, question: str, standalone: str, answer: Answer,
                 owner: str | None = None) -> Turn:
        """Record a turn, creating the conversation (owned by `owner`) on its first turn."""
        now = datetime.now(UTC)
        if not _storable(conversation_id) or (owner is not None and not _storable(owner)):
            raise NewsbotError("a conversation id cannot contain NUL or lone surrogates")
        question, standalone = _text(question), _text(standalone)
        turn = Turn(id=answer.id or uuid.uuid4().hex, question=question, standalone=standalone, answer=answer,
                    created_at=now)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                if conn.execute(sa.select(_conversations.c.id).where(_conversations.c.id == conversation_id)).first() \
                        is None:
                    try:
                        with conn.begin_nested():
                            conn.execute(sa.insert(_conversations).values(id=conversation_id, created_at=now,
                                                                          owner=owner))
                    except IntegrityError:
                        pass  # another worker created it a moment ago
                conn.execute(sa.insert(_turns).values(id=turn.id, conversation_id=conversation_id, question=question,
                                                   standalone=standalone, answer=answer.model_dump_json(),
                                                   created_at=now))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot save the conversation: {_brief(exc)}") from exc
        return turn

    def prune(self, older_than: timedelta) -> int:
        """Delete conversations whose last turn is older than `older_than`, with their turns and
        the feedback on them. Returns how many conversations went."""
        cutoff = datetime.now(UTC) - older_than
        last = sa.select(_turns.c.conversation_id, sa.func.max(_turns.c.created_at).label("at")) \
            .group_by(_turns.c.conversation_id).subquery()
        stale = sa.select(_conversations.c.id).outerjoin(last, last.c.conversation_id == _conversations.c.id) \
            .where(sa.func.coalesce(last.c.at, _conversations.c.created_at) < cutoff)
        self._writable()
        try:
            with self._write_lock, self.engine.begin() as conn:
                ids = [r.id for r in conn.execute(stale)]
                for start in range(0, len(ids), 500):  # bounded IN lists
                    batch = ids[start:start + 500]
                    answers = sa.select(_turns.c.id).where(_turns.c.conversation_id.in_(batch))
                    conn.execute(sa.delete(_feedback).where(_feedback.c.answer_id.in_(answers)))
                    conn.execute(sa.delete(_turns).where(_turns.c.conversation_id.in_(batch)))
                    conn.execute(sa.delete(_conversations).where(_conversations.c.id.in_(batch)))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot prune conversations: {_brief(exc)}") from exc
        return len(ids)
