"""The examples in examples/ run as written against a real server."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Bot
from bot.server import create_app
from tests.bot.server.conftest import serve_app
from tests.conftest import REPO, SEED


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    bot = Bot(data_dir=tmp_path_factory.mktemp("examples"))
    bot.ingest([SEED])
    with serve_app(create_app(bot=bot)) as url:
        yield {**os.environ, "NEWSBOT_URL": url}


def run(env: dict[str, str], script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(REPO / "examples" / script), *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ask_example(env: dict[str, str]) -> None:
    out = run(env, "ask.py", "Who attends the NATO summit?", "And when does it start?")
    assert "Trump" in out and "June" in out and "[1]" in out


def test_stream_example(env: dict[str, str]) -> None:
    out = run(env, "stream_async.py", "What is the spending target?")
    assert "3.5" in out and "conversation" in out


def test_ingest_example(env: dict[str, str]) -> None:
    out = run(env, "ingest.py", str(REPO / "samples"))
    assert "added 5" in out and "Riverton" in out and "6 articles in all" in out
    assert "added 0" in run(env, "ingest.py", str(Path(REPO / "samples")))
