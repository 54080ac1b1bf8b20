"""Shared dependencies, as Annotated aliases."""

import threading
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from bot.core import Bot

_lock = threading.Lock()


def app_bot(app: FastAPI) -> Bot:
    """The app's Bot, made on first use: building the app (and its OpenAPI document) stays cheap."""
    bot: Bot | None = app.state.bot
    if bot is None:
        with _lock:
            bot = app.state.bot
            if bot is None:
                bot = Bot(settings=app.state.settings)
                app.state.metrics.watch(bot)
                app.state.bot = bot
    return bot


def get_bot(request: Request) -> Bot:
    return app_bot(request.app)


BotDep = Annotated[Bot, Depends(get_bot)]
