"""Shared dependencies, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Request

from bot.core import Bot


def get_bot(request: Request) -> Bot:
    bot: Bot = request.app.state.bot
    return bot


BotDep = Annotated[Bot, Depends(get_bot)]
