"""What several worker processes need to share: one Chroma (a server, since an embedded store
belongs to one process), one database, and one place for Prometheus' per-process files."""

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.settings import Settings
from index.errors import StoreError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def chroma_server(path: Path, timeout_s: float = 60.0, port: int | None = None) -> Iterator[str]:
    """`chroma run` over `path` on a loopback port (a free one unless given), for as long as the block runs."""
    path.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma) if chroma.exists() else "chroma", "run", "--path", str(path), "--host", "127.0.0.1",
               "--port", str(port)]
    log = (path.parent / "chroma-server.log").open("ab")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if server.poll() is not None:
                raise StoreError(f"chroma run exited with {server.returncode}; see {log.name}")
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise StoreError(f"chroma run did not answer within {timeout_s:.0f} s; see {log.name}")
            time.sleep(0.1)
        yield url
    finally:
        stop_process(server, 10)
        log.close()


def stop_process(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace_s`."""
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def shared_environment(settings: Settings) -> Iterator[dict[str, str]]:
    """NEWSBOT_* variables (and PROMETHEUS_MULTIPROC_DIR) that make N workers one service."""
    metrics_dir = tempfile.mkdtemp(prefix="newsbot-metrics-")
    env = {"NEWSBOT_DATA_DIR": str(settings.data_dir.resolve()), "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
           "NEWSBOT_DATABASE_URL": settings.database_url_resolved(), "NEWSBOT_RATE_LIMIT_SHARED": "true"}
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        if settings.chroma_url:
            yield {**env, "NEWSBOT_CHROMA_URL": settings.chroma_url}
        else:
            with chroma_server(settings.data_dir / "chroma") as url:
                yield {**env, "NEWSBOT_CHROMA_URL": url}
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
