"""Shared fixtures: real Chroma, the real embedder, temporary data dirs."""

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import Bot
from bot.server.workers import chroma_server
from index.store.chunks import ChunkStore
from index.store.keyword import KeywordIndex

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("NEWSBOT_SHARED_DATA", REPO.parent / "shared" / "data"))
SEED = SHARED_DATA / "seed" / "nato-hague-summit.txt"
DEV = SHARED_DATA / "dev_news_qa"


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Chroma server .ci/run started (NEWSBOT_TEST_CHROMA_URL), else one started here."""
    given = os.environ.get("NEWSBOT_TEST_CHROMA_URL")
    if given:
        yield given
        return
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "chroma") as url:
        yield url


@pytest.fixture(scope="session")
def seed_bot(tmp_path_factory: pytest.TempPathFactory) -> Bot:
    bot = Bot(data_dir=tmp_path_factory.mktemp("seed"))
    bot.ingest([SEED])
    return bot


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    return Bot(data_dir=tmp_path / "data")


def count_store_reads(store: ChunkStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the reads of the whole store (one entry each): a keyword index rebuilt."""
    reads: list[int] = []
    all_chunks = store.all_chunks

    def counted() -> list[object]:
        reads.append(1)
        return all_chunks()  # type: ignore[return-value]

    monkeypatch.setattr(store, "all_chunks", counted)
    return reads


def ranked(index: KeywordIndex, query: str, k: int = 10) -> list[tuple[str, float]]:
    return [(c.id, round(s, 4)) for c, s in index.search(query, k)]


def article(n: int = 1, **fields: object) -> dict[str, object]:
    """A small made-up article; fields override."""
    base: dict[str, object] = {
        "title": f"Harbour town {n} opens a ferry line",
        "text": f"The town of Port Elm {n} opened a ferry line on Monday. Tickets cost {n + 4} dollars. "
                f"The mayor, Ada Brandt, said {n * 100} people rode it on the first day.",
        "url": f"https://example.org/ferry-{n}",
        "published": f"2025-0{1 + n % 8}-1{n % 9}",
        "source": "Test Gazette",
    }
    base.update(fields)
    return base


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]]  # set per server by the `web` fixture

    def do_GET(self) -> None:
        status, kind, body = self.routes.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        if 300 <= status < 400:  # a redirect's body is where it points
            self.send_header("Location", body.decode())
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Silence per-request logging in test output."""


@pytest.fixture
def web() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes]]]]:
    """A real HTTP server on 127.0.0.1 serving whatever the test puts in `routes`."""
    routes: dict[str, tuple[int, str, bytes]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL (tests/postgres.py), for the shared database of workers on several machines."""
    from tests.postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database workers share: SQLite in a common data dir, or PostgreSQL (several machines)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return str(request.getfixturevalue("postgres_url"))
