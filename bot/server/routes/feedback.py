"""POST /v1/feedback: a thumbs up or down (and a comment) on an answer, stored with Slack's."""

from typing import Literal

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from bot.schemas import ErrorBody
from bot.server.deps import BotDep
from bot.server.security import AskCaller

router = APIRouter(prefix="/v1", tags=["feedback"])


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer_id: str = Field(min_length=1, max_length=32, description="the `answer_id` of a chat response")
    value: Literal[1, -1] = Field(description="1: helpful, -1: not")
    comment: str | None = Field(None, max_length=2000)


class FeedbackOut(BaseModel):
    answer_id: str
    value: int
    recorded: bool = True


@router.post("/feedback", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED,
             responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def post_feedback(body: FeedbackIn, request: Request, bot: BotDep, caller: AskCaller) -> FeedbackOut:
    """Record feedback on an answer given in a conversation (counted in
    `newsbot_feedback_total{channel="api"}`, beside Slack's). A key gives feedback on its own
    answers; an admin key on any."""
    owner = await run_in_threadpool(bot.database.answer_owner, body.answer_id)
    # Another key's answer is reported as missing, as its conversation is: its id says nothing.
    if owner is None or ("admin" not in caller.scopes and owner != caller.owner):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no answer with id {body.answer_id!r}")
    comment = body.comment.strip() or None if body.comment else None
    await run_in_threadpool(bot.database.add_feedback, body.answer_id, body.value, "api", None, comment)
    request.app.state.metrics.feedback.labels("api", "up" if body.value > 0 else "down").inc()
    return FeedbackOut(answer_id=body.answer_id, value=body.value)
