"""Feeds to articles: RSS 0.9x/2.0 and Atom (feedparser) and JSON Feed 1.x, each item with the keys a
follower remembers it by (its id or link, and a hash of its content)."""

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from index.errors import IngestError
from index.ingest.articles import Article, article_from_dict
from index.ingest.clean import html_to_text

JSON_FEED_VERSION = "https://jsonfeed.org/version/"
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
                        "application/rdf+xml", "application/feed+json", "application/json"})
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)


@dataclass(frozen=True)
class FeedItem:
    article: Article
    key: str  # the item's own id (guid, Atom id, JSON Feed id), else its link, else the article id
    content_hash: str  # the same story re-published under a new id is still the same story


@dataclass(frozen=True)
class FeedRead:
    items: list[FeedItem]
    problems: list[IngestError]  # items that are no article (no text, a bad date), in feed order


def is_json_feed(data: object) -> bool:
    return isinstance(data, dict) and str(data.get("version", "")).startswith(JSON_FEED_VERSION)


def read_feed(text: str, where: str) -> FeedRead:
    """The items of an RSS, Atom or JSON feed, in the feed's order; a document that is no feed is an
    IngestError, an item that is no article is listed in `problems`."""
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise IngestError(f"not a JSON Feed ({type(exc).__name__})", where) from exc
        if not is_json_feed(data):
            raise IngestError(f"not a JSON Feed (its \"version\" must start {JSON_FEED_VERSION})", where)
        return json_feed_items(data, where)
    return xml_feed_items(text, where)


def xml_feed_items(text: str, where: str) -> FeedRead:
    import feedparser

    # As defusedxml does: a feed has no business declaring entities, and nested ones expand a few
    # hundred bytes into megabytes (the "billion laughs"); refuse before any parser sees them.
    if _ENTITY_DECLARATION.search(text):
        raise IngestError("the feed declares XML entities (<!ENTITY>), which are refused", where)
    feed = feedparser.parse(text)
    if not feed.entries:
        problem = str(feed.get("bozo_exception") or "no entries")
        raise IngestError(f"not an RSS/Atom feed with entries ({problem})", where)
    source = feed.feed.get("title") or None
    read = FeedRead([], [])
    for n, entry in enumerate(feed.entries, 1):
        body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        # FeedBurner and others put the article's own address in origLink; `link` is their redirect.
        link = entry.get("feedburner_origlink") or entry.get("link")
        published = entry.get("published") or entry.get("updated")
        record = {"title": entry.get("title", ""), "text": html_to_text(body) if "<" in body else body,
                  "url": link, "published": _parsed_date(entry) or published, "source": source}
        _add(read, record, entry.get("id") or link, f"{where} entry {n}")
    return read


def json_feed_items(data: dict[str, Any], where: str) -> FeedRead:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)."""
    entries = data.get("items")
    if not isinstance(entries, list) or not entries:
        raise IngestError("the JSON Feed has no items", where)
    source = data.get("title") if isinstance(data.get("title"), str) else None
    read = FeedRead([], [])
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            read.problems.append(IngestError("not an object", f"{where} item {n}"))
            continue
        html = entry.get("content_html")
        text = entry.get("content_text") or (html_to_text(html) if isinstance(html, str) else "") \
            or entry.get("summary") or ""
        record = {"title": entry.get("title") or "", "text": text,
                  "url": entry.get("url") or entry.get("external_url"),
                  "published": entry.get("date_published") or entry.get("date_modified"), "source": source}
        key = entry.get("id")
        _add(read, record, str(key) if key not in (None, "") else record["url"], f"{where} item {n}")
    return read


def _add(read: FeedRead, record: dict[str, Any], key: str | None, where: str) -> None:
    try:
        article = article_from_dict(record, where)
    except IngestError as exc:
        read.problems.append(exc)
        return
    digest = hashlib.sha256(f"{article.title}\n{article.text}".encode()).hexdigest()[:32]
    read.items.append(FeedItem(article=article, key=(key or article.id)[:500], content_hash=digest))


def _parsed_date(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}+00:00"
