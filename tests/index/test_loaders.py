import json
from pathlib import Path

import pytest

from index import IngestError, load_sources
from index.ingest.loaders import load_url
from tests.conftest import SEED, article, write_jsonl

HTML = """<!doctype html><html><head><title>Tide mill restored | Coast News</title>
<meta property="og:title" content="Tide mill restored after ten years">
<meta property="article:published_time" content="2025-04-02T08:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Tide mill restored after ten years</h1>
<p>The tide mill at Saltmarsh Quay turned again on Saturday after a ten-year restoration
that cost 2.1 million pounds.</p>
<p>Volunteers rebuilt the oak water wheel by hand, using timber from a local estate, and the mill will now grind flour
for the village bakery twice a week during the summer season.</p>
<p>The trust that owns the building said visitor numbers are expected to double next year.</p></article>
<footer>Copyright Coast News. Subscribe to our newsletter.</footer></body></html>"""

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Valley Times</title>
<item><title>Bridge reopens</title><link>https://example.org/bridge</link>
<pubDate>Tue, 03 Jun 2025 10:00:00 GMT</pubDate>
<description>The old bridge reopened to traffic on Tuesday after repairs.</description></item>
<item><title>School wins prize</title><link>https://example.org/school</link>
<pubDate>Wed, 04 Jun 2025 10:00:00 GMT</pubDate>
<description>Hill School won the regional science prize.</description></item>
</channel></rss>"""


def test_seed_text_file_title_source_and_furniture() -> None:
    [a] = load_sources([SEED])
    assert a.title == "NATO Invites Ukraine to Hague Summit as Trump Confirms Attendance"
    assert a.source == "Particle.news"
    assert "App Store" not in a.text and "REUTERS/" not in a.text and "AP Photo" not in a.text
    assert "3.5 percent of GDP" in a.text


def test_text_id_is_stable_and_content_based(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title here\n\nBody one. Body two.", encoding="utf-8")
    first, second = list(load_sources([path, path]))
    assert first.id == second.id
    path.write_text("Title here\n\nBody one changed.", encoding="utf-8")
    [third] = load_sources([path])
    assert third.id != first.id


def test_front_matter_sets_fields(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: Ferry\npublished: 2025-01-02\nsource: Desk\nurl: https://x.org/f\n---\n\nIt sails.")
    [a] = load_sources([path])
    assert (a.title, a.source, a.url, a.published.isoformat()[:10] if a.published else None) == (
        "Ferry", "Desk", "https://x.org/f", "2025-01-02")


def test_html_main_text_without_navigation(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML, encoding="utf-8")
    [a] = load_sources([path])
    assert "oak water wheel" in a.text
    assert "Home" not in a.text and "Subscribe" not in a.text
    assert "Tide mill" in a.title
    assert a.published is not None and a.published.year == 2025


def test_json_list_and_single(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(article(1)))
    (tmp_path / "many.json").write_text(json.dumps([article(2), article(3)]))
    articles = list(load_sources([tmp_path / "one.json", tmp_path / "many.json"]))
    assert [a.url for a in articles] == [f"https://example.org/ferry-{n}" for n in (1, 2, 3)]


def test_jsonl_and_html_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [article(1), {"title": "H", "html": "<p>Hello <b>there</b> friends.</p>"}])
    articles = list(load_sources([path]))
    assert articles[1].text == "Hello there friends."


def test_rss_feed(tmp_path: Path) -> None:
    path = tmp_path / "feed.rss"
    path.write_text(RSS)
    articles = list(load_sources([path]))
    assert [a.title for a in articles] == ["Bridge reopens", "School wins prize"]
    assert articles[0].source == "Valley Times" and articles[0].url == "https://example.org/bridge"
    assert articles[0].published is not None and articles[0].published.day == 3


def test_url_html_and_feed(web: tuple[str, dict[str, tuple[int, str, bytes]]]) -> None:
    base, routes = web
    routes["/mill"] = (200, "text/html; charset=utf-8", HTML.encode())
    routes["/feed"] = (200, "application/rss+xml", RSS.encode())
    [page] = load_sources([base + "/mill"], private_hosts=True)
    assert "oak water wheel" in page.text and page.url == base + "/mill"
    assert len(load_url(private_hosts=True, url=base + "/feed")) == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", b'{"title": "a", "text": "b"}\n{broken\n', "line 2"),
        ("bad.json", b'{"title": ', "malformed JSON"),
        ("blob.txt", b"\x00\x01\x02binary", "binary"),
        ("notes.docx", b"whatever", "unknown file type"),
        ("empty.txt", b"   \n\n", "no text"),
        ("empty.json", b'{"title": "Only a title", "text": "  "}', "no text"),
        ("digits.json", b'{"title": "t", "text": "x", "n": ' + b"7" * 5000 + b"}", "4300 digits"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("deep.jsonl", b'{"title": "t", "text": "It runs."}\n' + b"[" * 100_000 + b"]" * 100_000, "line 2"),
        ("laughs.rss", b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><item><title>&c;&c;&c;</title><description>Text of it.</description></item>
</channel></rss>""", "declares XML entities"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        list(load_sources([path]))


def test_unreachable_and_missing_urls(web: tuple[str, dict[str, tuple[int, str, bytes]]]) -> None:
    base, _routes = web
    with pytest.raises(IngestError, match="HTTP 404"):
        load_url(private_hosts=True, url=base + "/nope")
    with pytest.raises(IngestError, match="could not fetch"):
        load_url("http://127.0.0.1:9/closed", timeout=2, private_hosts=True)


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:9/x",
                                 "http://localhost/", "http://[::1]/", "http://[::ffff:10.0.0.1]/",
                                 "https://192.168.1.1/feed.xml", "http://0.0.0.0/"])
def test_private_addresses_are_refused_before_any_connection(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    def connect(*args: object, **kwargs: object) -> None:
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", connect)
    with pytest.raises(IngestError, match="allow-private-hosts"):
        list(load_sources([url]))


def test_a_redirect_to_a_private_address_is_refused_before_it_is_followed(
        web: tuple[str, dict[str, tuple[int, str, bytes]]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The first hop is let through (a loopback server stands in for a public site); the redirect's
    target is checked as the first would be."""
    import index.ingest.fetch

    base, routes = web
    routes["/moved"] = (302, "text/plain", b"http://169.254.169.254/latest/meta-data/")
    seen: list[str] = []

    def refuse_only_metadata(url: str, host: str, port: int) -> None:
        seen.append(url)
        if host == "169.254.169.254":
            raise IngestError("refused; --allow-private-hosts", url)

    monkeypatch.setattr(index.ingest.fetch, "refuse_private", refuse_only_metadata)
    with pytest.raises(IngestError, match="allow-private-hosts"):
        load_url(base + "/moved")
    assert seen == [base + "/moved", "http://169.254.169.254/latest/meta-data/"]


@pytest.mark.parametrize(("published", "expected"), [
    ("2022-06-12", "2022-06-12T00:00:00+00:00"),
    ("2022/06/12", "2022-06-12T00:00:00+00:00"),
    ("Sun, 12 Jun 2022 14:30:00 +0200", "2022-06-12T14:30:00+02:00"),
    ("June 11, 2022", "2022-06-11T00:00:00+00:00"),
    ("19.01.2020", "2020-01-19T00:00:00+00:00"),
    ("2022-06-12T10:00:00", "2022-06-12T10:00:00+00:00"),
])
def test_published_dates_as_real_data_writes_them(published: str, expected: str) -> None:
    [a] = load_sources([article(1, published=published)])
    assert a.published is not None and a.published.isoformat() == expected


@pytest.mark.parametrize("published", ["yesterday", "2022-13-45", "x" * 100])
def test_unreadable_date_names_the_field(published: str) -> None:
    with pytest.raises(IngestError, match="published"):
        list(load_sources([article(1, published=published)]))


def test_trafilatura_json_fields(tmp_path: Path) -> None:
    """The record `trafilatura --json` writes: page URL in "source", site in "source-hostname",
    "id": null."""
    record = {"title": "Harbour ferry returns", "author": "A. Writer", "hostname": "example.org",
              "date": "2024-05-06", "fingerprint": "abc", "id": None, "license": None,
              "source": "https://example.org/ferry", "source-hostname": "Example Gazette",
              "excerpt": None, "categories": "", "tags": "", "text": "The ferry returned on Monday."}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(record))
    [a] = load_sources([path])
    assert (a.url, a.source, a.title) == ("https://example.org/ferry", "Example Gazette", "Harbour ferry returns")
    assert a.published is not None and a.published.isoformat()[:10] == "2024-05-06"
    assert a.id.startswith("u")  # from the URL, as for any article with one
    [alias] = load_sources([{"title": "T", "text": "Body text.", "link": "https://x.org/a",
                             "published_at": "2024-01-02"}])
    assert alias.url == "https://x.org/a" and alias.published is not None and alias.published.day == 2


PAGE_1252 = """<html><head><meta charset=windows-1252><title>Caf\u00e9 reopens</title></head><body><article>
<h1>Caf\u00e9 reopens</h1><p>The caf\u00e9 on Quay Street reopened on Friday \u2013 \u201cat last\u201d, said its owner,
after a year of repairs to the roof and the kitchen.</p><p>It serves cr\u00e8me br\u00fbl\u00e9e again.</p>
</article></body></html>"""


@pytest.mark.parametrize(("name", "content"), [
    ("meta.html", PAGE_1252.encode("cp1252")),
    ("http-equiv.html", PAGE_1252.replace("<meta charset=windows-1252>", '<meta http-equiv="Content-Type" '
                                          'content="text/html; charset=ISO-8859-1">').encode("cp1252")),
    ("bom16.html", PAGE_1252.replace("<meta charset=windows-1252>", "").encode("utf-16")),
    ("bom8.html", b"\xef\xbb\xbf" + PAGE_1252.replace("windows-1252", "utf-8").encode("utf-8")),
])
def test_html_is_read_in_the_charset_it_declares(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    [a] = load_sources([path])
    assert a.title == "Caf\u00e9 reopens"
    assert "\u2013 \u201cat last\u201d" in a.text and "cr\u00e8me br\u00fbl\u00e9e" in a.text


def test_undeclared_legacy_text_is_guessed_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Caf\u00e9 news\n\nThe caf\u00e9 opened on the quay.".encode("latin-1"))
    [a] = load_sources([path])
    assert a.title == "Caf\u00e9 news" and "caf\u00e9 opened" in a.text


def test_a_url_is_read_in_the_charset_its_server_names(web: tuple[str, dict[str, tuple[int, str, bytes]]]) -> None:
    base, routes = web
    routes["/cafe"] = (200, "text/html; charset=windows-1252",
                       PAGE_1252.replace("<meta charset=windows-1252>", "").encode("cp1252"))
    [page] = load_url(private_hosts=True, url=base + "/cafe")
    assert page.title == "Caf\u00e9 reopens" and "\u201cat last\u201d" in page.text


# Written for this test in the shape real news pages take (a site suffix in the title, a
# label block printed twice, a credit tail on a caption, a trust statement, a letters form).
FURNISHED = """<html><head><title>River barges return to the Rhine | Weser Kurier | 19.01.2020</title>
<meta property="og:site_name" content="Weser Kurier"></head><body><article>
<h1>River barges return to the Rhine</h1>
<p>Date</p><p>Author</p><p>Keywords</p><p>Feedback</p><p>Print</p><p>Permalink</p>
<p>Cargo barges returned to the Rhine on Sunday after a week in which low water had stopped them near Kaub.</p>
<p>A barge passes the Loreley rock on Sunday afternoon (Credit: Ana Ortiz / Weser Kurier)</p>
<p>Read more: Low water on the Rhine: what it means for shipping</p>
<p>Shipping companies said the levels would let boats carry about half their usual load until the spring rains.</p>
<p>Print newspapers in the region carried the story on their front pages.</p>
<p>Author Ana Ortiz</p><p>Related Subjects Rhine, Kaub</p><p>Keywords barges, shipping, low water, Rhine</p>
<p>Feedback: Send us your feedback.</p><p>Print Print this page</p><p>Permalink https://example.org/p/3xYz</p>
<p>Date</p><p>Author</p><p>Keywords</p><p>Feedback</p><p>Print</p><p>Permalink</p>
<p>Our Standards: The Weser Kurier Trust Principles.</p>
<p>Submit your letter to the editor via this form.</p>
</article></body></html>"""


def test_page_furniture_of_other_sites_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "barges.html"
    path.write_text(FURNISHED, encoding="utf-8")
    [a] = load_sources([path])
    assert a.title == "River barges return to the Rhine"
    assert "low water had stopped them near Kaub" in a.text and "half their usual load" in a.text
    assert "A barge passes the Loreley rock on Sunday afternoon" in a.text
    assert "Print newspapers in the region carried the story" in a.text  # a sentence, not a label
    for furniture in ("Permalink", "Feedback", "Keywords", "Credit:", "Our Standards", "letter to the editor",
                      "Read more", "Ana Ortiz", "Related Subjects", "Print this page"):
        assert furniture not in a.text, furniture


def test_share_rows_site_menus_and_reprint_notices_are_dropped() -> None:
    """The furniture real pages put in stored text (as 2014-era news pages and Dow Jones pages do)."""
    from index.ingest.clean import strip_furniture

    text = ("Ferry returns to Lakeport\nGet the latest news on the go\nThe ferry returned on Monday.\n"
            "Tweet this / Link this / Digg this / Reprints\n"
            "RSS | Podcasts | Blogs | Mobile | My Profile | E-mail Alerts\n"
            "Order Reprints\nThis copy is for your personal, non-commercial use only. To order copies, use the tool.\n"
            "It carries 240 passengers | a record for the line.")
    assert strip_furniture(text).split("\n") == ["Ferry returns to Lakeport", "The ferry returned on Monday.",
                                                "It carries 240 passengers | a record for the line."]


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("Floods hit Bavaria | DW | 19.01.2020", "DW", "Floods hit Bavaria"),
    ("Senate passes the budget bill - The Daily Ledger", "The Daily Ledger", "Senate passes the budget bill"),
    ("Storm closes schools across the county – live updates", None, "Storm closes schools across the county"),
    ("Sao Paulo - Rio de Janeiro rail link opens", None, "Sao Paulo - Rio de Janeiro rail link opens"),
    ("Brexit", "DW", "Brexit"),
])
def test_site_suffixes_leave_titles(title: str, site: str | None, expected: str) -> None:
    from index.ingest.clean import clean_title

    assert clean_title(title, site) == expected
