"""Slack's request URLs (mounted only when Slack is configured)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bot.slack.service import SlackService

SLACK_PATHS = ("/slack/events", "/slack/commands", "/slack/interactions")


def slack_router(service: SlackService) -> APIRouter:
    router = APIRouter(tags=["slack"])

    async def slack_request(request: Request) -> Response:
        """Events API, slash commands and button clicks, verified with the signing secret."""
        return await service.handle(request)

    for path in SLACK_PATHS:
        router.add_api_route(path, slack_request, methods=["POST"], include_in_schema=False)
    return router
