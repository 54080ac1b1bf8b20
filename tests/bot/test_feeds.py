"""Followed feeds against a real HTTP server on 127.0.0.1 whose feeds change between polls: new
items, 304s for conditional GETs, errors, a slow server, and two workers over one database."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot import Bot, Client
from bot.cli.main import main
from bot.db.database import SharedDatabase
from bot.feeds import FeedPoller, FeedStore, parse_interval
from bot.server import create_app
from bot.settings import FeedSettings
from index.errors import NewsbotError
from index.ingest.loaders import load_bytes
from tests.bot.server.conftest import serve_app


@dataclass
class Served:
    status: int = 200
    kind: str = "application/rss+xml"
    body: bytes = b""
    etag: str | None = None
    delay_s: float = 0.0


@dataclass
class FeedServer:
    routes: dict[str, Served] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-None-Match)
    base: str = ""

    def gets(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("If-None-Match")))
            served = state.routes.get(self.path, Served(404, "text/plain", b"not found"))
            time.sleep(served.delay_s)
            if served.etag and self.headers.get("If-None-Match") == served.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(served.status)
            self.send_header("Content-Type", served.kind)
            self.send_header("Content-Length", str(len(served.body)))
            if served.etag:
                self.send_header("ETag", served.etag)
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, *_args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


ITEMS = {
    "ferry": ("Harbour ferry gets a second boat",
              "The Lakeport harbour ferry will run a second boat from 3 March, the transport office said. "
              "Crossings will leave every 20 minutes instead of every 40."),
    "library": ("Library extends its opening hours",
                "Lakeport's central library will open until 9 pm on weekdays from April. "
                "The council approved 120,000 euros for extra staff."),
    "bridge": ("Old bridge closes for repairs",
               "The Mill Street bridge will close for eight weeks of repairs starting on 10 May. "
               "Buses will be diverted over the ring road."),
}


def rss(*keys: str, guid_prefix: str = "lakeport-") -> bytes:
    items = "".join(
        f"<item><title>{ITEMS[k][0]}</title><link>https://news.example/{k}</link><guid>{guid_prefix}{k}</guid>"
        f"<pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate><description>{ITEMS[k][1]}</description></item>"
        for k in keys)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Lakeport Daily</title>'
            f"<link>https://news.example/</link>{items}</channel></rss>").encode()


def json_feed(*keys: str) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Lakeport Daily (JSON)",
                       "items": [{"id": f"j-{k}", "url": f"https://news.example/{k}", "title": ITEMS[k][0],
                                  "content_text": ITEMS[k][1], "date_published": "2026-03-02T09:00:00Z"}
                                 for k in keys]}).encode()


def feeds_settings(**changes: object) -> FeedSettings:
    # The items link to news.example: their pages are fetched only where a test serves them.
    return FeedSettings(**{"min_every_s": 1, "tick_s": 0.2, "fetch_pages": False, **changes})


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    return Bot(data_dir=tmp_path / "store", fetch_private_hosts=True, feeds=feeds_settings())


def follow(bot: Bot, url: str, every_s: float = 3600) -> tuple[FeedStore, FeedPoller, str]:
    store = FeedStore.of(bot.database)
    feed, created = store.add(url, every_s, time.time())
    assert created
    return store, FeedPoller(bot, store), feed.id


def test_a_followed_feed_ingests_each_item_once_and_asks_again_conditionally(bot: Bot, server: FeedServer) -> None:
    server.routes["/news.rss"] = Served(body=rss("ferry", "library"), etag='"v1"')
    store, poller, fid = follow(bot, server.base + "/news.rss")
    first = poller.poll_due()
    assert [(r.new_items, r.error) for r in first] == [(2, None)]
    assert {a.title for a in bot.articles()} == {ITEMS["ferry"][0], ITEMS["library"][0]}
    assert poller.poll_due() == []  # not due again for an hour
    again = poller.poll(fid, force=True)
    assert again is not None and again.not_modified and server.requests[-1] == ("/news.rss", '"v1"')
    server.routes["/news.rss"] = Served(body=rss("ferry", "library", "bridge"), etag='"v2"')
    third = poller.poll(fid, force=True)
    assert third is not None and third.new_items == 1 and len(bot.articles()) == 3
    feed = store.get(fid)
    assert feed is not None and feed.items_seen == 3 and feed.title == "Lakeport Daily"
    assert feed.last_new_item_at is not None and feed.last_error is None and feed.failures == 0
    answer = bot.ask("How long will the Mill Street bridge be closed?")
    assert answer.answerable and "eight weeks" in answer.text


def test_the_same_story_under_a_new_id_is_not_ingested_again(bot: Bot, server: FeedServer) -> None:
    server.routes["/a.rss"] = Served(body=rss("ferry"))
    _store, poller, fid = follow(bot, server.base + "/a.rss")
    assert poller.poll(fid, force=True).new_items == 1  # type: ignore[union-attr]
    server.routes["/a.rss"] = Served(body=rss("ferry", guid_prefix="republished-"))
    assert poller.poll(fid, force=True).new_items == 0  # type: ignore[union-attr]


def test_a_failing_feed_backs_off_keeps_what_it_had_and_recovers(bot: Bot, server: FeedServer) -> None:
    server.routes["/flaky.rss"] = Served(body=rss("ferry"))
    store, poller, fid = follow(bot, server.base + "/flaky.rss", every_s=60)
    poller.poll(fid, force=True)
    for failures, (served, why) in enumerate([(Served(500, "text/plain", b"oops"), "HTTP 500"),
                                              (Served(body=b"<html><body>a page</body></html>", kind="text/html"),
                                               "not a feed")], 1):
        server.routes["/flaky.rss"] = served
        before = time.time()
        result = poller.poll(fid, force=True)
        feed = store.get(fid)
        assert result is not None and result.error and why in result.error
        assert feed is not None and feed.last_error == result.error
        assert feed.failures == failures and feed.next_poll_at.timestamp() >= before + 60 * 2 ** failures - 1
    assert [a.title for a in bot.articles()] == [ITEMS["ferry"][0]]  # nothing lost
    server.routes["/flaky.rss"] = Served(body=rss("ferry", "bridge"))
    assert poller.poll(fid, force=True).new_items == 1  # type: ignore[union-attr]
    feed = store.get(fid)
    assert feed is not None and feed.failures == 0 and feed.last_error is None


def test_json_feed_1_1_is_read_from_a_url_and_from_a_file(bot: Bot, server: FeedServer) -> None:
    server.routes["/feed.json"] = Served(body=json_feed("library", "bridge"), kind="application/feed+json")
    _store, poller, fid = follow(bot, server.base + "/feed.json")
    assert poller.poll(fid, force=True).new_items == 2  # type: ignore[union-attr]
    stored = {a.url: a for a in bot.articles()}
    assert set(stored) == {"https://news.example/library", "https://news.example/bridge"}
    assert stored["https://news.example/bridge"].source == "Lakeport Daily (JSON)"
    assert (stored["https://news.example/bridge"].published or "").startswith("2026-03-02")
    articles = load_bytes(json_feed("ferry"), "feed.json")
    assert [a.title for a in articles] == [ITEMS["ferry"][0]] and articles[0].url == "https://news.example/ferry"


def test_a_poll_reads_at_most_its_caps_and_the_next_poll_reads_on(tmp_path: Path, server: FeedServer) -> None:
    bot = Bot(data_dir=tmp_path / "store", fetch_private_hosts=True,
              feeds=feeds_settings(max_items=2, max_bytes=10_000))
    server.routes["/all.rss"] = Served(body=rss("ferry", "library", "bridge"), etag='"same"')
    _store, poller, fid = follow(bot, server.base + "/all.rss")
    assert poller.poll(fid, force=True).new_items == 2  # type: ignore[union-attr]
    rest = poller.poll(fid, force=True)  # the capped poll kept no ETag: the feed is read again
    assert rest is not None and not rest.not_modified and rest.new_items == 1 and len(bot.articles()) == 3
    server.routes["/big.rss"] = Served(body=rss("ferry") + b" " * 20_000)
    _s, _p, big = follow(bot, server.base + "/big.rss")
    result = poller.poll(big, force=True)
    assert result is not None and result.error and "at most 10,000" in result.error


PAGE = """<html><head><title>Harbour ferry gets a second boat | Lakeport Daily</title>
<link rel="canonical" href="{base}/news/ferry-second-boat"></head>
<body><article><h1>Harbour ferry gets a second boat</h1>
<p>The Lakeport harbour ferry will run a second boat from 3 March, the transport office said on Monday.</p>
<p>Crossings will leave every 20 minutes instead of every 40, and the first boat will leave at 5.40 am.</p>
<p>The new boat, the Marta, carries 240 passengers and was bought second-hand from a Danish operator for
1.9 million euros.</p><p>Ticket prices stay the same: a single crossing costs 2.80 euros.</p>
</article></body></html>"""


def test_a_summary_only_item_is_completed_from_its_page(tmp_path: Path, server: FeedServer) -> None:
    bot = Bot(data_dir=tmp_path / "store", fetch_private_hosts=True, feeds=feeds_settings(fetch_pages=True))
    server.routes["/tracking/ferry"] = Served(body=PAGE.format(base=server.base).encode(), kind="text/html")
    server.routes["/gone"] = Served(404, "text/plain", b"gone")
    summary = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Lakeport Daily</title>'
               f"<item><title>Harbour ferry gets a second boat</title><link>{server.base}/tracking/ferry</link>"
               f"<description>A second boat for the harbour ferry.</description></item>"
               f"<item><title>Library hours</title><link>{server.base}/gone</link>"
               f"<description>The library opens longer.</description></item></channel></rss>")
    server.routes["/summaries.rss"] = Served(body=summary.encode())
    _store, poller, fid = follow(bot, server.base + "/summaries.rss")
    result = poller.poll(fid, force=True)
    assert result is not None and result.new_items == 2 and any("404" in s for s in result.skipped)
    stored = {a.title: a for a in bot.articles()}
    assert stored["Harbour ferry gets a second boat"].url == server.base + "/news/ferry-second-boat"  # canonical
    answer = bot.ask("How much did the new ferry boat cost?")
    assert answer.answerable and "1.9 million" in answer.text
    assert answer.citations[0].url == server.base + "/news/ferry-second-boat"


def test_two_workers_over_one_database_poll_a_feed_once(bot: Bot, server: FeedServer, tmp_path: Path) -> None:
    server.routes["/slow.rss"] = Served(body=rss("ferry", "bridge"), delay_s=1.0)
    _store, _poller, fid = follow(bot, server.base + "/slow.rss")
    other_database = SharedDatabase(bot.settings.database_url_resolved())  # as a second process opens it
    pollers = [FeedPoller(bot, FeedStore(bot.database.engine), worker="one"),
               FeedPoller(bot, FeedStore(other_database.engine), worker="two")]
    results: dict[str, object] = {}
    threads = [threading.Thread(target=lambda p=p: results.setdefault(p.worker, p.poll_due())) for p in pollers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert server.gets("/slow.rss") == 1
    assert sorted(len(r) for r in results.values()) == [0, 1]  # type: ignore[arg-type]
    assert FeedStore(other_database.engine).get(fid).items_seen == 2  # type: ignore[union-attr]
    other_database.close()


def test_a_feed_on_a_private_address_is_refused_before_connecting(tmp_path: Path, server: FeedServer) -> None:
    bot = Bot(data_dir=tmp_path / "store", feeds=feeds_settings())
    server.routes["/news.rss"] = Served(body=rss("ferry"))
    store, poller, fid = follow(bot, server.base + "/news.rss")
    result = poller.poll(fid, force=True)
    assert result is not None and result.error and "allow-private-hosts" in result.error
    assert server.requests == [] and (store.get(fid) or pytest.fail()).failures == 1


def test_intervals_are_read_as_people_write_them_and_bounded() -> None:
    settings = FeedSettings(min_every_s=300)
    assert [parse_interval(t, settings) for t in ("15m", "1h", "900", "2d", 600)] == [900, 3600, 900, 172800, 600]
    for bad in ("10s", "often", "-5m", 60, float("nan"), float("inf"), 1e308, "400d"):
        with pytest.raises(NewsbotError):
            parse_interval(bad, settings)


def test_the_api_and_the_sdk_follow_poll_list_and_unfollow(bot: Bot, server: FeedServer) -> None:
    server.routes["/news.rss"] = Served(body=rss("ferry", "library"))
    app = create_app(bot=bot)
    with serve_app(app) as url, Client(url) as client:
        feed = client.add_feed(server.base + "/news.rss", every="1h")
        assert feed.every_s == 3600 and feed.items_seen == 0
        polled = client.poll_feed(feed.id)
        assert polled.new_items == 2 and polled.error is None and polled.feed.items_seen == 2
        listed = client.list_feeds()
        assert [f.url for f in listed] == [server.base + "/news.rss"] and listed[0].last_fetched_at is not None
        again = client._http.post(url + "/v1/feeds", json={"url": server.base + "/news.rss", "every": "2h"})
        assert again.status_code == 200 and again.json()["id"] == feed.id and again.json()["every_s"] == 7200
        for body in ({"url": "ftp://news.example/feed"}, {"url": server.base + "/x", "every": "0.5s"},
                     {"url": server.base + "/x", "every": "soon"}, {"url": "https://news.example/a\u0000b"},
                     {"url": server.base + "/x", "every": 1e308}):
            refused = client._http.post(url + "/v1/feeds", json=body)
            assert refused.status_code == 400 and refused.json()["detail"]
        for number in (b"NaN", b"Infinity", b"-1e999"):  # what Python's JSON reader takes beyond JSON
            raw = client._http.post(url + "/v1/feeds", headers={"Content-Type": "application/json"},
                                    content=b'{"url": "https://news.example/f.rss", "every": ' + number + b"}")
            assert 400 <= raw.status_code < 500 and raw.json()["detail"], number
        client.remove_feed(server.base + "/news.rss")  # by its URL as well as its id
        assert client.list_feeds() == []
        for missing in (feed.id, "a%00b"):
            gone = client._http.delete(url + f"/v1/feeds/{missing}")
            assert gone.status_code == 404 and "no followed feed" in gone.json()["detail"]
    assert len(bot.articles()) == 2  # unfollowing keeps what the feed brought


def test_the_server_polls_followed_feeds_in_the_background(bot: Bot, server: FeedServer) -> None:
    server.routes["/news.rss"] = Served(body=rss("bridge"))
    with serve_app(create_app(bot=bot)) as url, Client(url) as client:
        client.add_feed(server.base + "/news.rss", every="1h")
        deadline = time.monotonic() + 30
        while not bot.articles() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [a.title for a in bot.articles()] == [ITEMS["bridge"][0]]
        assert client.list_feeds()[0].items_seen == 1


def test_the_cli_follows_polls_lists_and_unfollows(tmp_path: Path, server: FeedServer,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_FETCH_PRIVATE_HOSTS", "true")  # the test's feed server is on loopback
    monkeypatch.setenv("NEWSBOT_FEEDS__FETCH_PAGES", "false")
    server.routes["/news.rss"] = Served(body=rss("ferry", "library"))
    data = ["--data-dir", str(tmp_path / "d"), "feeds"]

    def run(*args: str) -> tuple[int, str, str]:
        code = main([*data, *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = run("add", server.base + "/news.rss", "--every", "30m")
    assert code == 0 and "following" in out and "every 1800 s" in out
    code, out, _ = run("poll")
    assert code == 0 and "2 new items" in out
    code, out, _ = run("list")
    assert code == 0 and "2 items" in out and "\tok" in out
    code, _, err = run("add", server.base + "/news.rss", "--every", "1s")
    assert code == 1 and "more often than the minimum" in err
    code, out, _ = run("remove", server.base + "/news.rss")
    assert code == 0 and "stopped following" in out
    code, _, err = run("remove", server.base + "/news.rss")
    assert code == 1 and "no followed feed" in err


def test_pages_of_one_host_are_fetched_one_at_a_time_with_a_pause(server: FeedServer) -> None:
    from bot.feeds.pages import PageFetcher
    from index.ingest.articles import Article

    for n in (1, 2):
        server.routes[f"/p{n}"] = Served(body=PAGE.format(base=server.base).replace("second boat", f"boat {n}")
                                         .encode(), kind="text/html")
    pauses: list[float] = []
    fetcher = PageFetcher(feeds_settings(fetch_pages=True, page_delay_s=5), private_hosts=True,
                          sleep=pauses.append, clock=lambda: 100.0)
    short = [Article(title=f"t{n}", text="A short summary.", url=f"{server.base}/p{n}") for n in (1, 2)]
    long_enough = Article(title="t3", text="word " * 200, url=f"{server.base}/p3")  # not a summary: not fetched
    done, problems = fetcher.complete([*short, long_enough])
    assert problems == [] and pauses == [5.0] and [p for p, _ in server.requests] == ["/p1", "/p2"]
    assert "Marta" in done[0].text and done[2] is long_enough


def test_pages_stop_being_fetched_when_half_the_lease_is_spent(server: FeedServer) -> None:
    from bot.feeds.pages import PageFetcher
    from index.ingest.articles import Article

    now = [100.0]
    server.routes["/p1"] = Served(body=PAGE.format(base=server.base).encode(), kind="text/html")

    def clock() -> float:
        now[0] += 200.0  # every look at the clock, 200 s pass: the second page is past the 300 s budget
        return now[0]

    fetcher = PageFetcher(feeds_settings(fetch_pages=True, lease_s=600, page_delay_s=0), private_hosts=True,
                          sleep=lambda _s: None, clock=clock)
    short = [Article(title=f"t{n}", text="A short summary.", url=f"{server.base}/p{n}") for n in (1, 2)]
    done, problems = fetcher.complete(short)
    assert "Marta" in done[0].text and done[1] is short[1] and "time for pages is up" in problems[0]
    assert [p for p, _ in server.requests] == ["/p1"]
