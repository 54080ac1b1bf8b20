"""Real processes: several uvicorn workers as one service, two ingests at once, an ingest killed
with SIGKILL, and ingests stopped by SIGTERM or by their client going away."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from bot import Bot
from bot.evaluation import read_jsonl
from bot.server.workers import free_port
from tests.conftest import DEV, REPO, SEED

WORDLLAMA = {"NEWSBOT_EMBEDDER": "wordllama"}  # the fast static embedder: these tests are about processes


def newsbot(*args: str, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def wait_ready(base: str, path: str = "/readyz", timeout_s: float = 120.0) -> bool:
    """Poll a starting server until `path` answers 200 (False when it never does)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + path, timeout=5).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.3)
    return False


def consistent(bot: Bot) -> dict[str, int]:
    """Every stored article is whole: all its chunks carry one content hash and there are as many
    as it was cut into. Returns chunks per article."""
    per_article: dict[str, list[dict[str, object]]] = {}
    for chunk in bot.store.all_chunks():
        per_article.setdefault(str(chunk.metadata["article_id"]), []).append(chunk.metadata)
    for article_id, metas in per_article.items():
        assert len({m["content_hash"] for m in metas}) == 1, article_id
        assert len(metas) == metas[0]["n_chunks"], article_id
        assert sorted(int(str(m["chunk_index"])) for m in metas) == list(range(len(metas))), article_id
    return {a: len(m) for a, m in per_article.items()}


def test_workers_serve_as_one_service(shared_database: str, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path), "NEWSBOT_DATABASE_URL": shared_database}
    subprocess.run(newsbot("ingest", str(SEED)), env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(newsbot("serve", "--port", str(port), "--workers", "2"), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        banner = server.stdout.readline() if server.stdout else ""
        assert "2 workers" in banner and "Chroma at http://127.0.0.1:" in banner
        chroma = banner.rsplit("Chroma at ", 1)[1].strip()
        assert wait_ready(base)
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.post("/v1/articles", json={
                "title": "Port Elm ferry", "text": "The Port Elm ferry line reopened on Monday with four boats."
            }).status_code == 200
            for _ in range(12):  # both workers answer, from the same store
                r = client.post("/v1/chat", json={"message": "How many boats does the Port Elm ferry line have?"})
                assert r.status_code == 200 and "four boats" in r.json()["answer"]
                assert "3.5" in client.post("/v1/chat", json={"message": "What is the spending target?"}
                                            ).json()["answer"]
            metrics = client.get("/metrics").text
            # Bound to loopback, each worker serves loopback names only (a rebound DNS name gets 400).
            assert client.get("/healthz", headers={"Host": "rebind.example:80"}).status_code == 400
            assert client.get("/healthz", headers={"Host": f"localhost:{port}"}).status_code == 200
        line = next(x for x in metrics.splitlines()
                    if x.startswith('newsbot_http_requests_total{method="POST",route="/v1/chat",status="200"}'))
        assert float(line.rsplit(" ", 1)[1]) == 24.0  # every worker's requests, merged
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    with pytest.raises(httpx.HTTPError):
        httpx.get(chroma + "/api/v2/heartbeat", timeout=2)  # the Chroma it started is gone too
    # The workers used the database named, not the data dir's default SQLite file.
    assert not (tmp_path / "conversations.db").exists()


def test_two_ingests_at_once_leave_one_copy_of_each_article(chroma_url: str, tmp_path: Path) -> None:
    articles = read_jsonl(DEV / "articles.jsonl")[:24]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(json.dumps(a) for a in articles[:16]), encoding="utf-8")
    second.write_text("\n".join(json.dumps(a) for a in articles[8:]), encoding="utf-8")  # 8 in common
    env = {**os.environ, **WORDLLAMA, "NEWSBOT_CHROMA_URL": chroma_url,
           "NEWSBOT_COLLECTION": f"t_{uuid.uuid4().hex[:12]}"}
    runs = [subprocess.Popen(newsbot("--data-dir", str(tmp_path / name), "ingest", str(path)), env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name, path in (("one", first), ("two", second))]
    for run in runs:
        _out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
    bot = Bot(data_dir=tmp_path / "check", embedder="wordllama", chroma_url=chroma_url,
              collection=env["NEWSBOT_COLLECTION"])
    chunks = consistent(bot)
    assert len(chunks) == 24 and len(bot.articles()) == 24


KILLABLE = """
import sys
from bot import Bot
from bot.evaluation import read_jsonl
from pathlib import Path

bot = Bot(data_dir=sys.argv[1], embedder="wordllama")
write = bot.store._write

def announced(*args, **kwargs):
    write(*args, **kwargs)
    print("batch written", flush=True)

bot.store._write = announced
bot.ingest(read_jsonl(Path(sys.argv[2])))
print("finished", flush=True)
"""


def test_an_ingest_killed_midway_leaves_whole_articles_and_a_rerun_completes_it(tmp_path: Path) -> None:
    source = DEV / "articles.jsonl"
    data_dir = tmp_path / "data"
    child = subprocess.Popen([sys.executable, "-c", KILLABLE, str(data_dir), str(source)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "batch written"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    bot = Bot(data_dir=data_dir, embedder="wordllama")
    total = len(read_jsonl(source))
    survived = consistent(bot)
    assert 0 < len(survived) < total
    report = bot.ingest([source])
    assert len(report.added) + len(report.updated) + len(report.unchanged) == total
    assert sorted(report.unchanged) == sorted(survived)  # what survived whole is kept, the rest written
    assert len(consistent(bot)) == total


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    server = subprocess.Popen(newsbot("serve", "--port", str(port)), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    base = f"http://127.0.0.1:{port}"
    if not wait_ready(base):
        server.kill()
        raise AssertionError("the server did not start")
    return server, base


def dev_articles() -> list[dict[str, object]]:
    """The dev set's articles in the API's shape, about 400 chunks: minutes to embed here."""
    return [{"id": a["article_id"], "title": a["title"], "text": a["text"], "url": a.get("url")}
            for a in read_jsonl(DEV / "articles.jsonl")]


def post_in_background(base: str, articles: list[dict[str, object]]) -> list[httpx.Response | Exception]:
    outcome: list[httpx.Response | Exception] = []

    def post() -> None:
        try:
            outcome.append(httpx.post(base + "/v1/articles", json=articles, timeout=600))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    threading.Thread(target=post, daemon=True).start()
    return outcome


def stored(base: str) -> int:
    return int(httpx.get(base + "/v1/articles", params={"limit": 1}, timeout=30).json()["total"])


def wait_for_first_article(base: str, outcome: list[httpx.Response | Exception] | None = None) -> None:
    deadline = time.monotonic() + 300
    while stored(base) == 0:
        assert not outcome, f"the ingest ended before writing anything: {outcome}"
        assert time.monotonic() < deadline, "no article was written in 5 minutes"
        time.sleep(0.2)


def test_sigterm_stops_a_server_that_is_ingesting_and_keeps_whole_articles(tmp_path: Path) -> None:
    articles = dev_articles()
    server, base = start_server({**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path)})
    try:
        outcome = post_in_background(base, articles)
        wait_for_first_article(base, outcome)  # the ingest is under way
        server.send_signal(signal.SIGTERM)
        server.wait(120)  # without the stop it runs until all articles are embedded, minutes here
    finally:
        server.kill()
    survived = consistent(Bot(data_dir=tmp_path))
    assert 0 < len(survived) < len(articles)


def test_an_abandoned_ingest_request_stops_between_batches(tmp_path: Path) -> None:
    articles = dev_articles()
    server, base = start_server({**os.environ, "NEWSBOT_DATA_DIR": str(tmp_path)})
    try:
        body = json.dumps(articles).encode()
        head = (f"POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as sock:
            sock.sendall(head + body)
            wait_for_first_article(base)
        # The client is gone: the ingest stops after its current batch, so the count settles. Settled
        # means unchanged for longer than one batch takes to embed (64 chunks, ~30 s on 2 busy cores):
        # within a batch the count stands still while the ingest is still going.
        counts, since, deadline = [stored(base)], time.monotonic(), time.monotonic() + 600
        while time.monotonic() - since < 45.0:
            assert time.monotonic() < deadline, f"the ingest did not stop: {counts}"
            time.sleep(3.0)
            counts.append(stored(base))
            if counts[-1] != counts[-2]:
                since = time.monotonic()
        assert counts[-1] < len(articles)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    assert len(consistent(Bot(data_dir=tmp_path))) == counts[-1]


def test_an_api_keys_rate_limit_holds_across_workers(shared_database: str, tmp_path: Path) -> None:
    key = f"k-{uuid.uuid4().hex}"  # a bucket of its own in a database other tests share
    env = {**os.environ, **WORDLLAMA, "NEWSBOT_DATA_DIR": str(tmp_path), "NEWSBOT_API_KEYS": json.dumps([key]),
           "NEWSBOT_RATE_LIMIT_PER_MINUTE": "1", "NEWSBOT_RATE_LIMIT_BURST": "4",
           "NEWSBOT_DATABASE_URL": shared_database}
    port = free_port()
    server = subprocess.Popen(newsbot("serve", "--port", str(port), "--workers", "2"), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_ready(base, "/healthz")
        codes = []
        for _ in range(10):  # a new connection each time, so both workers take requests
            codes.append(httpx.get(base + "/v1/articles", headers={"Authorization": f"Bearer {key}"},
                                   timeout=30).status_code)
        assert codes.count(200) == 4 and codes.count(429) == 6, codes  # per worker it would be 8 of 10
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
