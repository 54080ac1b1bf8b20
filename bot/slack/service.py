"""The Slack side of the app: request verification and dedupe in front of a slack-bolt AsyncApp
whose listeners answer in threads. Slack gets its acknowledgement at once; answers follow."""

import asyncio
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from bot.core import Bot
from bot.models import Answer
from bot.settings import SlackSettings
from bot.signing import SignatureError, check_fresh, slack_signature, verify
from bot.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP, answer_blocks, escape
from index.errors import ConfigError, NewsbotError

log = logging.getLogger("newsbot.slack")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


class SlackService:
    def __init__(self, settings: SlackSettings, bot: Callable[[], Bot],
                 on_feedback: Callable[[bool], None] = lambda _up: None,
                 clock: Callable[[], float] = time.time) -> None:
        """`on_feedback(up)` is told of each Yes/No click (the server counts them in its metrics)."""
        try:
            from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
            from slack_bolt.async_app import AsyncApp
            from slack_sdk.web.async_client import AsyncWebClient
        except ImportError as exc:
            raise ConfigError("Slack needs its extra: pip install 'newsbot[slack]'") from exc
        assert settings.bot_token is not None and settings.signing_secret is not None  # checked by Settings
        self.settings, self.bot, self.on_feedback, self.clock = settings, bot, on_feedback, clock
        self.secret = settings.signing_secret.get_secret_value()
        client = AsyncWebClient(token=settings.bot_token.get_secret_value(), base_url=settings.api_url)
        # Verification happens in handle() (one place, with an injectable clock), not again in Bolt.
        self.app = AsyncApp(client=client, request_verification_enabled=False, logger=log)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.command("/news")(self._on_command)
        self.app.action(FEEDBACK_UP)(self._on_feedback)
        self.app.action(FEEDBACK_DOWN)(self._on_feedback)
        self.handler = AsyncSlackRequestHandler(self.app)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        try:
            check_fresh(timestamp, self.clock)
            verify(slack_signature(self.secret, timestamp or "", body), request.headers.get("X-Slack-Signature"))
        except SignatureError as exc:
            return JSONResponse({"detail": f"Slack signature rejected: {exc}"}, status_code=401)
        problem = _shape_problem(request.headers.get("content-type", ""), body)
        if problem:  # signed, yet not what Slack sends: Bolt would fail on it (a 500)
            return JSONResponse({"detail": f"not a Slack request: {problem}"}, status_code=400)
        signature = request.headers.get("X-Slack-Signature", "")
        if not await asyncio.to_thread(self.bot().database.first_time, f"slack-request:{signature}", 600.0):
            # The same signed request again inside the 5-minute window: a replay, never a retry
            # (Slack signs each retry anew, with a new timestamp). Acknowledged, not acted on twice.
            return Response(status_code=200, headers={"X-Slack-No-Retry": "1"})
        event_id = _event_id(request, body)
        if event_id and not await asyncio.to_thread(self.bot().database.first_time, f"slack:{event_id}"):
            # A retry of an event already being answered (X-Slack-Retry-Num): acknowledge, do nothing.
            return Response(status_code=200, headers={"X-Slack-No-Retry": "1"})
        return await self.handler.handle(request)

    # ---- listeners ----------------------------------------------------------------------
    async def _on_mention(self, event: dict[str, Any], client: Any, context: Any) -> None:
        if not event.get("bot_id"):
            await self._reply(event, client, context)

    async def _on_message(self, event: dict[str, Any], client: Any, context: Any) -> None:
        # Direct messages only; edits, joins and bots' messages (subtypes, bot_id) are not questions.
        if event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id"):
            await self._reply(event, client, context)

    async def _reply(self, event: dict[str, Any], client: Any, context: Any) -> None:
        question = _MENTION.sub("", event.get("text", "")).strip()
        channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
        if not question:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                          text="Ask me a question about the news articles.")
            return
        conversation_id = f"slack:{context.get('team_id') or event.get('team', '')}:{channel}:{thread_ts}"
        answer, error = await self._answer(question, conversation_id)
        if error:
            await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=f"Sorry: {error}")
            return
        assert answer is not None
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=answer.text,
                                      blocks=answer_blocks(answer), unfurl_links=False)

    async def _on_command(self, ack: Any, command: dict[str, Any], respond: Any) -> None:
        question = command.get("text", "").strip()
        if not question:
            await ack(text=f"Usage: {command.get('command', '/news')} <question about the news>")
            return
        response_url = str(command.get("response_url", ""))
        if not any(response_url.startswith(prefix) for prefix in self.settings.response_url_prefixes):
            # The answer goes to response_url: only to Slack's own (a forged one could aim anywhere).
            log.warning("a /news command with a response_url outside Slack's was not answered")
            await ack(text="Sorry: this command's response URL is not Slack's; it was not answered.")
            return
        await ack()
        conversation_id = f"slack:{command.get('team_id', '')}:{command.get('channel_id', '')}:" \
                          f"{command.get('trigger_id', '')}"
        answer, error = await self._answer(question, conversation_id)
        kind = self.settings.command_response
        if error:
            await respond(text=f"Sorry: {error}", response_type="ephemeral")
            return
        assert answer is not None
        header = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"/news {escape(question)}"}]}
        await respond(text=answer.text, blocks=[header, *answer_blocks(answer)], response_type=kind)

    async def _on_feedback(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        up = action["action_id"] == FEEDBACK_UP
        user = body.get("user", {}).get("id")
        answer_id = action.get("value")
        if not isinstance(answer_id, str) or not await asyncio.to_thread(self.bot().database.has_answer, answer_id):
            log.warning("a Slack feedback click for an answer newsbot never gave was ignored")
            return
        await asyncio.to_thread(self.bot().database.add_feedback, answer_id, 1 if up else -1, "slack", user)
        self.on_feedback(up)

    async def _answer(self, question: str, conversation_id: str) -> tuple[Answer | None, str | None]:
        try:
            return await asyncio.to_thread(self.bot().ask, question, conversation_id, None, "slack"), None
        except NewsbotError as exc:
            return None, str(exc)


def _shape_problem(content_type: str, body: bytes) -> str | None:
    """What keeps a body from being one Slack sends (an event as a JSON object; a command or an
    interaction form-encoded), or None."""
    if content_type.startswith("application/json"):
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return "malformed JSON"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "a JSON object with a type is expected"
        if "event" in payload and not isinstance(payload["event"], dict):
            return "the event is not an object"
        return None
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"), strict_parsing=bool(body), max_num_fields=100)
    except (ValueError, UnicodeDecodeError):
        return "malformed form body"
    if "payload" in form:
        try:
            interaction = json.loads(form["payload"][0])
        except (ValueError, RecursionError):
            return "malformed interaction payload"
        if not isinstance(interaction, dict) or not isinstance(interaction.get("type"), str):
            return "an interaction payload is a JSON object with a type"
        actions = interaction.get("actions", [])
        if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
            return "actions are a list of objects"
        return None
    if "command" not in form:
        return "neither a command nor an interaction"
    return None


def _event_id(request: Request, body: bytes) -> str | None:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None  # commands and button clicks come form-encoded
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    event_id = payload.get("event_id") if isinstance(payload, dict) and payload.get("type") == "event_callback" \
        else None
    return event_id if isinstance(event_id, str) else None
