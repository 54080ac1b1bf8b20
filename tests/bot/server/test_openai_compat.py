"""The OpenAI-compatible API, driven by the official `openai` package (sync and async, streamed
and not) against a real uvicorn on 127.0.0.1."""

import asyncio
from collections.abc import Iterator

import httpx
import openai
import pytest
from pydantic import SecretStr

from bot import Bot
from bot.answer.extractive import DECLINE
from bot.server import create_app
from tests.bot.server.conftest import serve_app

KEY = "openai-test-key"


@pytest.fixture(scope="module")
def base_url(app_bot: Bot) -> Iterator[str]:
    settings = app_bot.settings.model_copy(update={"api_keys": [SecretStr(KEY)], "rate_limit_per_minute": 0})
    with serve_app(create_app(bot=Bot(settings=settings))) as url:
        yield url + "/v1"


@pytest.fixture
def client(base_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        yield client


def test_an_answer_with_its_citations(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": "Who will attend the NATO summit?"}])
    message = completion.choices[0].message
    assert completion.object == "chat.completion" and completion.model == "newsbot"
    assert message.role == "assistant" and "Trump" in (message.content or "") and "[1]" in (message.content or "")
    assert completion.choices[0].finish_reason == "stop"
    citations = message.model_extra["citations"]  # type: ignore[index]
    assert citations[0]["n"] == 1 and "Trump" in citations[0]["quote"] and citations[0]["article_id"]
    usage = completion.usage
    assert usage is not None and usage.completion_tokens == len((message.content or "").split())
    assert usage.prompt_tokens == 6  # the question's words
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_the_model_is_echoed_and_listed(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["newsbot"]
    assert client.models.retrieve("newsbot").owned_by == "newsbot"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert "newsbot" in caught.value.message
    completion = client.chat.completions.create(
        model="whatever-the-ui-chose", messages=[{"role": "user", "content": "What is the spending target?"}])
    assert completion.model == "whatever-the-ui-chose"
    assert "3.5 percent" in (completion.choices[0].message.content or "")


def test_streamed_the_same_answer_then_citations_then_usage(client: openai.OpenAI) -> None:
    question = [{"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "What is the spending target?"}]
    whole = client.chat.completions.create(model="newsbot", messages=question)  # type: ignore[arg-type]
    chunks = list(client.chat.completions.create(model="newsbot", messages=question, stream=True,  # type: ignore[arg-type]
                                                 stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content and len([c for c in chunks if c.choices]) > 3
    last = [c for c in chunks if c.choices][-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.choices[0].delta.model_extra["citations"] == \
        whole.choices[0].message.model_extra["citations"]  # type: ignore[index]
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert {c.id for c in chunks} == {chunks[0].id}


def test_a_follow_up_through_the_messages_history(client: openai.OpenAI) -> None:
    first = client.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": "Who will attend the NATO summit?"}])
    follow_up = client.chat.completions.create(model="newsbot", messages=[
        {"role": "user", "content": "Who will attend the NATO summit?"},
        {"role": "assistant", "content": first.choices[0].message.content or ""},
        {"role": "user", "content": "And when does it start?"}])
    assert "June" in (follow_up.choices[0].message.content or "")


def test_a_decline_is_a_plain_message_without_citations(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": "Who won the football World Cup?"}])
    message = completion.choices[0].message
    assert message.content == DECLINE and message.model_extra["citations"] == []  # type: ignore[index]


def test_filters_travel_as_an_extension(client: openai.OpenAI) -> None:
    nothing = client.chat.completions.create(
        model="newsbot", messages=[{"role": "user", "content": "What is the spending target?"}],
        extra_body={"filters": {"article_id": ["no-such-article"]}})
    assert nothing.choices[0].message.content == DECLINE
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(model="newsbot", messages=[{"role": "user", "content": "What?"}],
                                       extra_body={"filters": {"published_after": "not a date"}})
    assert "published_after" in caught.value.message


def test_errors_in_openais_shape(base_url: str, client: openai.OpenAI) -> None:
    with openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0) as stranger, \
            pytest.raises(openai.AuthenticationError) as caught:
        stranger.chat.completions.create(model="newsbot", messages=[{"role": "user", "content": "Who?"}])
    assert caught.value.code == "invalid_api_key" and "API key" in caught.value.message
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="newsbot", messages=[{"role": "assistant", "content": "Hello"}])
    assert "last message" in bad.value.message and bad.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError, match="empty"):
        client.chat.completions.create(model="newsbot", messages=[{"role": "user", "content": "   "}])
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="newsbot", messages=[])
    with pytest.raises(openai.UnprocessableEntityError, match="text"):
        client.chat.completions.create(model="newsbot", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])
    raw = httpx.post(f"{base_url}/chat/completions", content=b"{", headers={"Authorization": f"Bearer {KEY}",
                                                                            "Content-Type": "application/json"})
    assert raw.status_code == 422 and set(raw.json()) == {"error"}
    assert set(raw.json()["error"]) == {"message", "type", "param", "code"}


def test_the_async_client_streamed_and_not(base_url: str) -> None:
    async def run() -> tuple[str, str]:
        async with openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
            messages = [{"role": "user", "content": "Where will the summit take place?"}]
            whole = await client.chat.completions.create(model="newsbot", messages=messages)  # type: ignore[arg-type]
            stream = await client.chat.completions.create(model="newsbot", messages=messages,  # type: ignore[arg-type]
                                                          stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            return whole.choices[0].message.content or "", text

    whole, streamed = asyncio.run(run())
    assert "Hague" in whole and streamed == whole
