from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from bot import Bot
from bot.server import create_app
from tests.bot.server.conftest import serve_app
from tests.conftest import SEED


@pytest.fixture(scope="module")
def sdk_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("sdk"))
    bot.ingest([SEED])
    return bot


@pytest.fixture(scope="module")
def sdk_app(sdk_bot: Bot) -> FastAPI:
    return create_app(bot=sdk_bot)


@pytest.fixture(scope="module")
def server_url(sdk_app: FastAPI) -> Iterator[str]:
    with serve_app(sdk_app) as url:
        yield url
