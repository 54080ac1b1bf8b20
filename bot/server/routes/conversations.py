"""GET /v1/conversations/{id}: the turns of a conversation."""

from fastapi import APIRouter, HTTPException, status

from bot.models import Conversation
from bot.schemas import ErrorBody
from bot.server.deps import BotDep
from bot.server.security import ApiKey, Principal

router = APIRouter(prefix="/v1/conversations", tags=["conversations"], dependencies=[ApiKey])


@router.get("/{conversation_id}", response_model=Conversation, responses={404: {"model": ErrorBody}})
def get_conversation(conversation_id: str, bot: BotDep, owner: Principal) -> Conversation:
    """A conversation's turns, oldest first: each question, how it was understood, and its answer.
    Only the API key that made a conversation reads it; Slack's and the webhook's are not readable here."""
    conversation = bot.conversation(conversation_id) if bot.database.belongs_to(conversation_id, owner) else None
    if conversation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no conversation with id {conversation_id!r}")
    return conversation
