"""Retries and errors against the real app under uvicorn, with failures injected in front of it
by a small ASGI layer (the way a proxy or an overloaded server fails)."""

import asyncio
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from starlette.types import Receive, Scope, Send

from bot import (
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Bot,
    Client,
    InternalServerError,
    RateLimitError,
)
from bot.server import create_app
from tests.bot.server.conftest import serve_app


class Failing:
    """Answers the first requests with the given statuses (and headers), then lets them through."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.plan: list[tuple[int, dict[str, str]]] = []
        self.seen = 0
        self.delay_s = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen += 1
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.plan:
                status, headers = self.plan.pop(0)
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"),
                                        *((k.encode(), v.encode()) for k, v in headers.items())]})
                await send({"type": "http.response.body", "body": b'{"detail": "injected failure"}'})
                return
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def failing(sdk_bot: Bot) -> Iterator[tuple[str, Failing]]:
    layer = Failing(create_app(bot=sdk_bot))
    with serve_app(layer) as url:  # type: ignore[arg-type]
        yield url, layer


@pytest.fixture
def flaky(failing: tuple[str, Failing]) -> tuple[str, Failing]:
    url, layer = failing
    layer.plan, layer.seen, layer.delay_s = [], 0, 0.0
    return url, layer


def test_a_failing_then_working_server_is_retried(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    layer.plan = [(503, {}), (502, {})]
    with Client(url) as client:
        assert "3.5" in client.ask("What is the spending target?").text
    assert layer.seen == 3


def test_retry_after_is_honoured(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    layer.plan = [(429, {"Retry-After": "1"})]
    started = time.monotonic()
    with Client(url) as client:
        client.list_articles()
    assert layer.seen == 2 and time.monotonic() - started >= 1.0


def test_a_malformed_retry_after_is_ignored(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    layer.plan = [(429, {"Retry-After": "soon, maybe"}), (503, {"Retry-After": "Mon, 99 Foo 20x5"})]
    with Client(url, max_retries=2) as client:
        assert client.list_articles().total >= 1
    assert layer.seen == 3


def test_no_retry_on_a_bad_request_and_gives_up_after_max_retries(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    with Client(url) as client, pytest.raises(BadRequestError) as err:
        client.ask("   ")
    assert layer.seen == 1 and err.value.status_code == 400 and "empty" in err.value.message
    layer.plan, layer.seen = [(500, {})] * 5, 0
    with Client(url, max_retries=1) as client, pytest.raises(InternalServerError) as failed:
        client.ask("What is the spending target?")
    assert layer.seen == 2 and failed.value.message == "injected failure"


def test_async_twin_retries_the_same_way(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    layer.plan = [(503, {}), (429, {"Retry-After": "0"})]

    async def run() -> str:
        async with AsyncClient(url) as client:
            return (await client.ask("What is the spending target?")).text

    assert "3.5" in asyncio.run(run()) and layer.seen == 3


def test_timeouts_and_unreachable_servers_raise_our_errors(flaky: tuple[str, Failing]) -> None:
    url, layer = flaky
    layer.delay_s = 1.0
    with Client(url, timeout=0.2, max_retries=0) as client, pytest.raises(APITimeoutError):
        client.list_articles()
    with Client("http://127.0.0.1:9", max_retries=1) as client, pytest.raises(APIConnectionError) as err:
        client.list_articles()
    assert not isinstance(err.value, APITimeoutError)


def test_auth_and_rate_limit_errors_from_the_real_app(sdk_bot: Bot) -> None:
    settings = sdk_bot.settings.model_copy(update={"api_keys": [SecretStr("k1")], "rate_limit_per_minute": 1,
                                                   "rate_limit_burst": 1})
    with serve_app(create_app(bot=Bot(settings=settings))) as url:
        with Client(url, api_key="wrong") as client, pytest.raises(AuthenticationError) as auth:
            client.list_articles()
        assert auth.value.status_code == 401 and auth.value.request_id
        with Client(url, api_key="k1", max_retries=0) as client:
            client.list_articles()
            with pytest.raises(RateLimitError) as limited:
                client.list_articles()
        assert limited.value.status_code == 429 and "rate limit" in str(limited.value)
