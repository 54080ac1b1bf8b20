"""The service's SQL database: conversation history, plus the small state workers share
(deliveries already handled, feedback, the article store's version). SQLite in the data dir
by default (WAL, so several worker processes can share it), or any SQLAlchemy database URL.

One engine (`engine.py`), three small stores over it: `conversations.py`, `feedback.py` and
`coordination.py`; `SharedDatabase` is all three on one engine."""

from bot.db.conversations import Conversations
from bot.db.coordination import STORE_VERSION, Coordination
from bot.db.engine import _metadata, _storable, new_conversation_id
from bot.db.feedback import Feedback
from bot.models import Conversation, Turn

__all__ = ["STORE_VERSION", "Conversation", "SharedDatabase", "Turn", "_metadata", "_storable",
           "new_conversation_id"]


class SharedDatabase(Conversations, Feedback, Coordination):
    """What every worker shares: conversations and their turns (each with its owner), feedback,
    deliveries already handled (dedupe keys), counters such as the store's version, and the
    rate-limit buckets."""
