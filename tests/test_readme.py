"""Every bash and python block of the README runs as written, against a live server (uvicorn on
127.0.0.1) over the sample articles; a block that cannot run here says why in a
`<!-- readme: not run (...) -->` line above it."""

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot import Bot
from bot.server import create_app
from bot.settings import WebhookSettings
from tests.bot.server.conftest import serve_app
from tests.conftest import REPO

SECRET = "readme-webhook-secret-0123"
_BLOCK = re.compile(r"(<!-- readme: not run \((?P<why>[^)]*)\) -->\n)?```(?P<lang>bash|python)\n(?P<code>.*?)```",
                    re.DOTALL)


def blocks() -> list[tuple[str, str, str | None]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [(m["lang"], m["code"], m["why"]) for m in _BLOCK.finditer(text)]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    bot = Bot(data_dir=tmp_path_factory.mktemp("readme-server"),
              webhook=WebhookSettings(secret=SecretStr(SECRET)))
    bot.ingest([REPO / "samples"])
    bin_dir = str(Path(sys.executable).parent)  # where `newsbot` is installed
    with serve_app(create_app(bot=bot)) as url:
        yield {**os.environ, "NEWSBOT_URL": url, "NEWSBOT_WEBHOOK__SECRET": SECRET,
               "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_the_readme_has_runnable_blocks() -> None:
    runnable = [b for b in blocks() if b[2] is None]
    assert len(runnable) >= 5 and {lang for lang, _, _ in runnable} == {"bash", "python"}
    assert all(why.strip() for _, _, why in blocks() if why is not None)


@pytest.mark.parametrize("number", [n for n, b in enumerate(blocks()) if b[2] is None])
def test_readme_block_runs(number: int, env: dict[str, str], tmp_path: Path) -> None:
    lang, code, _ = blocks()[number]
    shutil.copytree(REPO / "samples", tmp_path / "samples")
    command = ["bash", "-euo", "pipefail", "-c", code] if lang == "bash" else [sys.executable, "-c", code]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"README block {number} ({lang}) failed:\n{code}\n--- stderr:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr
