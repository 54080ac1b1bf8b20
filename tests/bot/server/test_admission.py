"""A worker holds a bounded number of questions: past the bound a question is refused at once with
503 and Retry-After (in each API's own error shape), and the bound frees as answers finish."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import Bot
from bot.server import create_app
from bot.settings import Settings
from tests.bot.server.conftest import serve_app
from tests.conftest import SEED

QUESTION = {"message": "What is the spending target?"}


def test_questions_past_the_bound_are_refused_at_once_and_the_bound_frees(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = Bot(settings=Settings(data_dir=tmp_path, max_pending_questions=2))
    bot.ingest([SEED])
    entered, release = threading.Semaphore(0), threading.Event()
    answer = bot.ask

    def held_ask(*args: Any, **kwargs: Any) -> Any:
        entered.release()
        release.wait(30)
        return answer(*args, **kwargs)

    monkeypatch.setattr(bot, "ask", held_ask)
    with serve_app(create_app(bot=bot)) as url, ThreadPoolExecutor(2) as pool:
        held = [pool.submit(httpx.post, url + "/v1/chat", json=QUESTION, timeout=30) for _ in range(2)]
        assert entered.acquire(timeout=20) and entered.acquire(timeout=20)
        # Both held questions are still being answered: these come back without waiting for them.
        busy = httpx.post(url + "/v1/chat", json=QUESTION, timeout=10)
        busy_openai = httpx.post(url + "/v1/chat/completions", timeout=10, json={
            "model": "newsbot", "messages": [{"role": "user", "content": QUESTION["message"]}]})
        other_routes = httpx.get(url + "/v1/articles", timeout=10)
        assert not any(f.done() for f in held)
        release.set()
        assert [f.result().status_code for f in held] == [200, 200]
        after = httpx.post(url + "/v1/chat", json=QUESTION, timeout=30)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert "busy" in busy.json()["detail"]
    assert busy_openai.status_code == 503 and busy_openai.headers["retry-after"] == "1"
    assert busy_openai.json()["error"]["code"] == "service_unavailable"
    assert other_routes.status_code == 200  # only answering is bounded
    assert after.status_code == 200 and after.json()["answerable"]
