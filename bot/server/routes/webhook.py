"""POST /v1/webhook: questions from any system, signed with a shared secret (on only when
NEWSBOT_WEBHOOK__SECRET is set). Answers in the response, or POSTed to `callback_url`."""

import asyncio
import logging
import time

import httpx
from fastapi import APIRouter, BackgroundTasks, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError

from bot.core import Bot
from bot.db.database import new_conversation_id
from bot.errors import first_problem
from bot.models import Filters
from bot.schemas import ChatResponse, ErrorBody, json_body
from bot.server.callbacks import CallbackRefused, Resolver, check_url, redacted, resolve, vet
from bot.server.deps import BotDep
from bot.settings import MAX_MESSAGE_CHARS, WebhookSettings
from bot.signing import SignatureError, check_fresh, verify, webhook_signature
from index.errors import NewsbotError

router = APIRouter(prefix="/v1", tags=["webhook"])
log = logging.getLogger("newsbot.webhook")
TIMESTAMP, SIGNATURE = "X-Newsbot-Timestamp", "X-Newsbot-Signature"
WEBHOOK = "webhook"  # the owner of conversations made through the webhook (its callers share one secret)


def _webhooks_own(bot: Bot, conversation_id: str) -> bool:
    """New, or made through the webhook: ids are the caller's, so one could name a Slack thread's."""
    return not bot.database.exists(conversation_id) or bot.database.belongs_to(conversation_id, WEBHOOK)


class WebhookRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS,
                         description="the question; NEWSBOT_MAX_QUESTION_CHARS sets the limit within this")
    conversation_id: str | None = Field(None, max_length=100, description="yours; created on first use")
    callback_url: HttpUrl | None = None
    filters: Filters | None = None


class WebhookAccepted(BaseModel):
    status: str = "accepted"
    conversation_id: str


class CallbackError(BaseModel):
    error: str
    conversation_id: str


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP: timestamp, SIGNATURE: webhook_signature(secret, timestamp, body),
            "Content-Type": "application/json"}


@router.post("/webhook", response_model=ChatResponse, status_code=status.HTTP_200_OK,
             openapi_extra=json_body(WebhookRequest),
             responses={202: {"model": WebhookAccepted, "description": "answer will be POSTed to callback_url"},
                        400: {"model": ErrorBody}, 401: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def post_webhook(request: Request, bot: BotDep, background: BackgroundTasks) -> ChatResponse | JSONResponse:
    """Answer a signed question: X-Newsbot-Timestamp (Unix seconds) and X-Newsbot-Signature
    (hex HMAC-SHA256 of "{timestamp}.{raw body}"); stale, replayed or bad signatures get 401."""
    settings: WebhookSettings = request.app.state.settings.webhook
    assert settings.secret is not None  # the router is mounted only with a secret
    secret = settings.secret.get_secret_value()
    body = await request.body()
    timestamp, signature = request.headers.get(TIMESTAMP), request.headers.get(SIGNATURE)
    try:
        check_fresh(timestamp, request.app.state.clock)
        verify(webhook_signature(secret, timestamp or "", body), signature)
        if not await run_in_threadpool(bot.database.first_time, f"webhook:{signature}", 900.0):
            raise SignatureError("replayed request")
    except SignatureError as exc:
        return JSONResponse({"detail": f"webhook signature rejected: {exc}"}, status_code=401)
    try:
        req = WebhookRequest.model_validate_json(body)
    except ValidationError as exc:
        return JSONResponse({"detail": first_problem(exc)}, status_code=422)
    question = bot.check_question(req.message)
    conversation_id = req.conversation_id or new_conversation_id()
    if req.conversation_id and not await run_in_threadpool(_webhooks_own, bot, conversation_id):
        return JSONResponse({"detail": f"conversation id {conversation_id!r} is taken by another channel; "
                                       "choose another"}, status_code=409)
    if req.callback_url is not None:
        try:
            check_url(str(req.callback_url), settings.callback_hosts)
        except CallbackRefused as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
    if req.callback_url is None:
        answer = await run_in_threadpool(bot.ask, question, conversation_id, req.filters, WEBHOOK)
        return ChatResponse.from_answer(answer)
    background.add_task(answer_to_callback, bot, settings, question, conversation_id, req.filters,
                        str(req.callback_url), request.app.state.resolve)
    return JSONResponse(WebhookAccepted(conversation_id=conversation_id).model_dump(), status_code=202)


async def answer_to_callback(bot: Bot, settings: WebhookSettings, question: str, conversation_id: str,
                             filters: Filters | None, url: str, resolver: Resolver = resolve) -> None:
    try:
        answer = await run_in_threadpool(bot.ask, question, conversation_id, filters, WEBHOOK)
        body = ChatResponse.from_answer(answer).model_dump_json().encode()
    except NewsbotError as exc:
        body = CallbackError(error=str(exc), conversation_id=conversation_id).model_dump_json().encode()
    assert settings.secret is not None
    secret = settings.secret.get_secret_value()
    delay = settings.callback_backoff_s
    shown = redacted(url)
    # No redirects (each hop would need the same checks) and no proxy from the environment.
    async with httpx.AsyncClient(timeout=settings.callback_timeout_s, follow_redirects=False,
                                 trust_env=False) as client:
        for attempt in range(1, settings.callback_attempts + 1):
            try:
                # Vetted on every attempt, after DNS: the address checked is the one connected to.
                target = await vet(url, settings.callback_hosts, resolver)
            except CallbackRefused as exc:
                log.error("callback refused", extra={"fields": {"url": shown, "problem": str(exc)}})
                return
            try:
                # Signed afresh each time, so a late retry is still inside the receiver's window.
                headers = {**signed_headers(secret, body), "Host": target.host_header}
                extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
                auth = httpx.BasicAuth(*target.auth) if target.auth else httpx.USE_CLIENT_DEFAULT
                response = await client.post(target.url, content=body, headers=headers, extensions=extensions,
                                             auth=auth)
                if response.is_success:
                    log.info("callback delivered", extra={"fields": {"url": shown, "attempt": attempt}})
                    return
                retry = response.status_code in (408, 409, 425, 429) or response.status_code >= 500
                problem = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                retry, problem = True, f"{type(exc).__name__}: {exc}"
            log.warning("callback failed", extra={"fields": {"url": shown, "attempt": attempt, "problem": problem}})
            if not retry or attempt == settings.callback_attempts:
                break
            await asyncio.sleep(delay)
            delay *= 2
    log.error("callback given up", extra={"fields": {"url": shown}})
