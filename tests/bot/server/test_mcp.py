"""The MCP server, driven by the official `mcp` SDK's own client: over streamable HTTP at /mcp
of a real uvicorn on 127.0.0.1 (behind the API keys), and over stdio from `newsbot mcp`."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError
from pydantic import SecretStr

from bot import Bot
from bot.server import create_app
from tests.bot.server.conftest import serve_app
from tests.conftest import REPO, SEED

KEY = "mcp-test-key"
TOOLS = {"ask_news", "search_news", "list_articles", "list_feeds"}


@pytest.fixture(scope="module")
def mcp_url(app_bot: Bot) -> Iterator[str]:
    settings = app_bot.settings.model_copy(update={"api_keys": [SecretStr(KEY)], "rate_limit_per_minute": 0})
    with serve_app(create_app(bot=Bot(settings=settings))) as url:
        yield url + "/mcp"


def over_http(url: str, key: str | None = KEY) -> Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(streamable_http_client(url, http_client=create_mcp_http_client(headers=headers)))


async def exercise(client: Client) -> dict[str, Any]:
    """Every tool and the article resource, as an assistant would use them."""
    async with client:
        tools = await client.list_tools()
        asked = await client.call_tool("ask_news", {"question": "Who will attend the NATO summit?"})
        declined = await client.call_tool("ask_news", {"question": "Who won the football World Cup?"})
        followed = await client.call_tool("ask_news", {"question": "And when does it start?",
                                                       "conversation_id": asked.structured_content["conversation_id"]})
        unknown = await client.call_tool("ask_news", {"question": "And when does it start?",
                                                      "conversation_id": "no-such-conversation"})
        found = await client.call_tool("search_news", {"query": "defense spending target", "k": 2})
        listed = await client.call_tool("list_articles", {})
        feeds = await client.call_tool("list_feeds", {})
        article_id = listed.structured_content["items"][0]["id"]
        resource = await client.read_resource(f"newsbot://articles/{article_id}")
        bad_question = await client.call_tool("ask_news", {"question": "   "})
        bad_k = await client.call_tool("search_news", {"query": "summit", "k": 500})
        try:
            await client.read_resource("newsbot://articles/no-such-article")
            missing: MCPError | None = None
        except MCPError as exc:
            missing = exc
        return {"tools": tools, "asked": asked, "declined": declined, "followed": followed, "unknown": unknown,
                "feeds": feeds, "found": found, "listed": listed,
                "resource": resource, "bad_question": bad_question, "bad_k": bad_k, "missing": missing}


def check(got: dict[str, Any]) -> None:
    tools = {t.name: t for t in got["tools"].tools}
    assert set(tools) == TOOLS and all(t.annotations.read_only_hint for t in tools.values())
    assert "question" in tools["ask_news"].input_schema["properties"]
    asked = got["asked"].structured_content
    assert not got["asked"].is_error and asked["answerable"] and "Trump" in asked["answer"]
    assert asked["citations"][0]["n"] == 1 and "Trump" in asked["citations"][0]["quote"]
    assert got["declined"].structured_content["answerable"] is False
    assert got["declined"].structured_content["citations"] == []
    assert got["declined"].structured_content["conversation_id"] != asked["conversation_id"]
    followed = got["followed"].structured_content
    assert not got["followed"].is_error and followed["conversation_id"] == asked["conversation_id"]
    assert followed["answerable"] and ("June 24" in followed["answer"] or "24–26" in followed["answer"])
    assert got["unknown"].is_error and "no conversation" in got["unknown"].content[0].text
    passages = got["found"].structured_content["passages"]
    assert len(passages) == 2 and passages[0]["title"] and "spending" in " ".join(p["text"] for p in passages)
    listed = got["listed"].structured_content
    assert listed["total"] == 1 and listed["items"][0]["chunks"] >= 1
    assert not got["feeds"].is_error and got["feeds"].structured_content == {"items": []}
    article = json.loads(got["resource"].contents[0].text)
    assert article["title"] == listed["items"][0]["title"] and "Hague" in " ".join(article["passages"])
    assert got["bad_question"].is_error and "empty" in got["bad_question"].content[0].text
    assert got["bad_k"].is_error  # k is bounded by the input schema
    assert got["missing"] is not None and "no stored article" in str(got["missing"])


def test_every_tool_over_streamable_http(mcp_url: str) -> None:
    check(anyio.run(exercise, over_http(mcp_url)))


def test_a_conversation_belongs_to_the_api_key_that_started_it(app_bot: Bot) -> None:
    keys = [SecretStr("first-key"), SecretStr("second-key")]
    settings = app_bot.settings.model_copy(update={"api_keys": keys, "rate_limit_per_minute": 0})

    async def ask(url: str, key: str, arguments: dict[str, Any]) -> Any:
        async with over_http(url, key) as client:
            return await client.call_tool("ask_news", arguments)

    with serve_app(create_app(bot=Bot(settings=settings))) as url:
        first = anyio.run(ask, url + "/mcp", "first-key", {"question": "Who attends the NATO summit?"})
        cid = first.structured_content["conversation_id"]
        other = anyio.run(ask, url + "/mcp", "second-key", {"question": "When does it start?", "conversation_id": cid})
        own = anyio.run(ask, url + "/mcp", "first-key", {"question": "When does it start?", "conversation_id": cid})
        assert other.is_error and "no conversation" in other.content[0].text
        assert not own.is_error and own.structured_content["conversation_id"] == cid
        turns = app_bot.conversation(cid)
        assert turns is not None and [t.question for t in turns.turns] == ["Who attends the NATO summit?",
                                                                           "When does it start?"]


def test_a_get_for_server_messages_is_refused_at_once_instead_of_held_open(mcp_url: str) -> None:
    with httpx.stream("GET", mcp_url, headers={"Authorization": f"Bearer {KEY}", "Accept": "text/event-stream"},
                      timeout=10) as response:
        assert response.status_code == 405 and "POST" in response.headers["allow"]
        assert "POST" in json.loads(response.read())["detail"]


def test_the_http_transport_needs_the_api_key(mcp_url: str) -> None:
    async def connect(key: str | None) -> None:
        async with over_http(mcp_url, key) as client:
            await client.list_tools()

    for key in (None, "wrong-key"):
        with pytest.raises(ExceptionGroup) as caught:  # the SDK's client raises from inside its task group
            anyio.run(connect, key)
        assert caught.group_contains(MCPError)
        refused = httpx.post(mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                             headers={"Authorization": f"Bearer {key}"} if key else {})
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "API key" in refused.json()["detail"]


def test_every_tool_over_stdio(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "bot.cli", "--data-dir", str(tmp_path / "store")]
    subprocess.run([*cli, "ingest", str(SEED)], check=True, cwd=REPO, capture_output=True, timeout=300)
    params = StdioServerParameters(command=cli[0], args=[*cli[1:], "mcp"], cwd=REPO)
    with open(tmp_path / "stderr.log", "w") as errlog:
        async def run() -> dict[str, Any]:
            from mcp.client.stdio import stdio_client

            return await exercise(Client(stdio_client(params, errlog=errlog)))

        check(anyio.run(run))
