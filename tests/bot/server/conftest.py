"""The app over the seed article: in process (TestClient) and under a real uvicorn on 127.0.0.1."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import Bot
from bot.server import create_app
from tests.conftest import SEED


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Run `app` under a real uvicorn server on a free port of 127.0.0.1; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def app_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("api"))
    bot.ingest([SEED])
    return bot


@pytest.fixture(scope="module")
def client(app_bot: Bot) -> TestClient:
    return TestClient(create_app(bot=app_bot))


@pytest.fixture(scope="module")
def live_url(app_bot: Bot) -> Iterator[str]:
    with serve_app(create_app(bot=app_bot)) as url:
        yield url
