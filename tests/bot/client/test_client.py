"""The SDK against the real app: in process (TestClient / httpx.ASGITransport) and over a real
uvicorn server on 127.0.0.1."""

import asyncio
import inspect
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot import (
    Answer,
    AsyncClient,
    BadRequestError,
    Bot,
    CitationsEvent,
    Client,
    DeltaEvent,
    DoneEvent,
    NotFoundError,
)
from bot.client import NOT_GIVEN
from tests.conftest import SEED, article


def test_ask_stream_and_conversation_in_process(sdk_app: FastAPI) -> None:
    with Client("http://testserver", http_client=TestClient(sdk_app)) as client:
        answer = client.ask("Who attends the NATO summit?")
        assert isinstance(answer, Answer) and "Trump" in answer.text and answer.citations
        events = list(client.stream("And when does it start?", conversation_id=answer.conversation_id))
        assert isinstance(events[-1], DoneEvent) and isinstance(events[-2], CitationsEvent)
        text = "".join(e.text for e in events if isinstance(e, DeltaEvent))
        assert "June" in text and events[-1].answer.text == text
        turns = client.conversation(answer.conversation_id or "").turns
        assert [t.question for t in turns] == ["Who attends the NATO summit?", "And when does it start?"]


def test_articles_round_trip(tmp_path: Path, sdk_bot: Bot) -> None:
    app_bot = Bot(data_dir=tmp_path / "data")
    from bot.server import create_app

    notes = tmp_path / "notes.md"
    notes.write_text("# Ferry timetable changes\n\nThe Port Elm ferry will sail every hour from May.", encoding="utf-8")
    with Client("http://testserver", http_client=TestClient(create_app(bot=app_bot))) as client:
        result = client.ingest([article(1), notes])
        assert len(result.added) == 2
        again = client.ingest(article(1))
        assert len(again.unchanged) == 1 and again.unchanged[0] in result.added and not again.added
        page = client.list_articles(limit=1)
        assert page.total == 2 and len(page.items) == 1
        client.delete_article(page.items[0].id)
        with pytest.raises(NotFoundError) as err:
            client.delete_article(page.items[0].id)
        assert err.value.status_code == 404 and err.value.request_id and "no article" in err.value.message
        assert client.list_articles().total == 1


def test_async_client_through_asgi_transport(sdk_app: FastAPI) -> None:
    async def run() -> tuple[Answer, list[object]]:
        transport = httpx.ASGITransport(app=sdk_app)
        async with AsyncClient("http://testserver", http_client=httpx.AsyncClient(transport=transport)) as client:
            answer = await client.ask("What is the spending target?")
            events = [e async for e in client.stream("What is the spending target?")]
            return answer, events

    answer, events = asyncio.run(run())
    assert "3.5" in answer.text and isinstance(events[-1], DoneEvent) and events[-1].answer.text == answer.text


def test_both_clients_stream_over_a_real_server(server_url: str) -> None:
    with Client(server_url) as client:
        events = list(client.stream("Who attends the NATO summit?"))
    assert sum(isinstance(e, DeltaEvent) for e in events) > 3 and isinstance(events[-1], DoneEvent)

    async def run() -> list[object]:
        async with AsyncClient(server_url) as client:
            return [e async for e in client.stream("Who attends the NATO summit?")]

    async_events = asyncio.run(run())
    assert [type(e) for e in async_events] == [type(e) for e in events]
    assert async_events[-1].answer.text == events[-1].answer.text  # type: ignore[attr-defined]


def test_bot_and_client_answer_alike(server_url: str, sdk_bot: Bot) -> None:
    local = sdk_bot.ask("What is the spending target?")
    with Client(server_url) as client:
        remote = client.ask("What is the spending target?")
    assert type(local) is type(remote) is Answer
    assert remote.text == local.text and remote.citations == local.citations


def test_every_sync_method_has_an_async_twin(server_url: str) -> None:
    public = {n for n in dir(Client) if not n.startswith("_")} - {"close"}
    assert public == {n for n in dir(AsyncClient) if not n.startswith("_")} - {"aclose"}
    for name in public:
        sync, twin = getattr(Client, name), getattr(AsyncClient, name)
        if not callable(sync):
            continue
        sync_params = [(p.name, p.default, p.kind) for p in inspect.signature(sync).parameters.values()]
        twin_params = [(p.name, p.default, p.kind) for p in inspect.signature(twin).parameters.values()]
        assert sync_params == twin_params, name
        assert inspect.iscoroutinefunction(twin) or inspect.isasyncgenfunction(twin), name
    init = inspect.signature(Client.__init__).parameters
    assert init.keys() == inspect.signature(AsyncClient.__init__).parameters.keys()

    async def both() -> None:
        async with AsyncClient(server_url) as twin:
            with Client(server_url) as sync:
                question = "What is the spending target?"
                assert (await twin.ask(question)).text == sync.ask(question).text
                assert (await twin.list_articles()).total == sync.list_articles().total
                for call in (lambda c: c.delete_article("nope"), lambda c: c.conversation("nope")):
                    with pytest.raises(NotFoundError):
                        call(sync)
                    with pytest.raises(NotFoundError):
                        await call(twin)
                with pytest.raises(BadRequestError):
                    sync.ask("   ")
                with pytest.raises(BadRequestError):
                    await twin.ask("   ")

    asyncio.run(both())


def test_configuration_from_the_environment(server_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_URL", server_url)
    monkeypatch.setenv("NEWSBOT_API_KEY", "from-env")
    client = Client()
    assert client.base_url == server_url and client.api_key == "from-env"
    assert Client(api_key=None).api_key is None and Client(api_key="given").api_key == "given"
    assert Client(api_key=NOT_GIVEN).api_key == "from-env"
    assert AsyncClient().base_url == server_url
    assert "3.5" in client.ask("What is the spending target?").text
    client.close()


def test_seed_file_ingest_is_idempotent(tmp_path: Path) -> None:
    from bot.server import create_app

    with Client("http://testserver", http_client=TestClient(create_app(bot=Bot(data_dir=tmp_path)))) as client:
        assert len(client.ingest(SEED).added) == 1
        assert len(client.ingest([SEED]).unchanged) == 1
