"""Turn files, URLs, feeds and dicts into Articles. Every failure is an IngestError."""

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from index.errors import IngestError
from index.ingest.articles import Article, article_from_dict
from index.ingest.charsets import decode
from index.ingest.clean import clean_title, html_metadata, html_to_text, is_furniture, looks_like_domain, normalise_text
from index.ingest.feeds import FEED_TYPES, is_json_feed, read_feed
from index.ingest.fetch import fetch

Source = str | Path | dict[str, Any] | Article
TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | {".json", ".jsonl"}


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]+://")  # ftp://, file://, s3:// ... (not C:\\ on Windows)


def expand_sources(sources: Iterable[Source]) -> Iterator[Source]:
    """The sources with each directory replaced by its files of known types, so that a caller
    can load (and fail) one file at a time."""
    for source in sources:
        if isinstance(source, str | Path) and not str(source).startswith(("http://", "https://")) \
                and Path(source).is_dir():
            yield from (child for child in sorted(Path(source).rglob("*"))
                        if child.is_file() and child.suffix.lower() in SUFFIXES)
        else:
            yield source


def load_sources(sources: Iterable[Source], url_timeout: float = 10.0, private_hosts: bool = False
                 ) -> Iterator[Article]:
    """Articles from each source in order; directories are walked for known file types. URLs are
    fetched from public addresses only unless `private_hosts` (index/ingest/outbound.py)."""
    for source in expand_sources(sources):
        if isinstance(source, Article):
            yield source
        elif isinstance(source, dict):
            yield article_from_dict(source, "article")
        elif isinstance(source, str) and source.startswith(("http://", "https://")):
            yield from load_url(source, url_timeout, private_hosts)
        elif isinstance(source, str) and _SCHEME.match(source):
            raise IngestError("only http:// and https:// URLs can be fetched", source[:200])
        else:
            yield from load_file(Path(source))


def load_file(path: Path) -> list[Article]:
    if not path.is_file():
        raise IngestError("no such file", str(path))
    return load_bytes(path.read_bytes(), path.name, str(path))


def load_bytes(data: bytes, name: str, where: str | None = None) -> list[Article]:
    """Articles from a file's content; `name` (its file name) tells the type, as for files on disk."""
    where = where or name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(sorted(SUFFIXES))
        raise IngestError(f"unknown file type {suffix or '(none)'}; expected one of {known}", where)
    text = decode(data, where, markup=suffix in HTML_SUFFIXES | FEED_SUFFIXES)
    if suffix in TEXT_SUFFIXES:
        return [parse_plain_text(text, where)]
    if suffix in HTML_SUFFIXES:
        return [parse_html(text, where)]
    if suffix == ".json":
        return parse_json(text, where)
    if suffix == ".jsonl":
        return parse_jsonl(text, where)
    return parse_feed(text, where)


def parse_plain_text(text: str, where: str, **fields: Any) -> Article:
    """First non-empty line that is not furniture is the title; a bare domain above it is the source.
    Front matter (`---` lines around `key: value` pairs) sets title, url, published and source."""
    text = normalise_text(text)
    front, text = _front_matter(text)
    fields = {**front, **fields}
    if fields.get("title"):
        return article_from_dict({"text": text, **fields}, where)
    lines = text.split("\n")
    source: str | None = None
    for i, line in enumerate(lines):
        if not line or is_furniture(line):
            continue
        if source is None and looks_like_domain(line):
            source = line
            continue
        body = "\n".join(lines[i + 1 :])
        return article_from_dict({"title": line.lstrip("# "), "text": body, "source": source, **fields}, where)
    raise IngestError("article has no text", where)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    fields = {}
    for line in text[4:end].split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in {"title", "url", "published", "source", "id"}:
            fields[key.strip().lower()] = value.strip().strip("\"'")
    return fields, text[end + 4 :].lstrip("-\n")


def parse_html(html: str, where: str, **fields: Any) -> Article:
    meta = {k: v for k, v in html_metadata(html).items() if v}
    if meta.get("title"):
        meta["title"] = clean_title(str(meta["title"]), meta.get("source"))
    text = html_to_text(html)
    if not text:
        raise IngestError("no article text found in the HTML", where)
    return article_from_dict({**meta, **fields, "text": text}, where)


def json_problem(exc: Exception) -> str:
    """What Python's JSON reader refused beyond syntax: an integer of more digits than Python
    converts, or nesting deeper than it recurses."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0]


def parse_json(text: str, where: str) -> list[Article]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", where) from exc
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"unreadable JSON ({json_problem(exc)})", where) from exc
    if is_json_feed(data):
        return parse_feed(text, where)
    items = data if isinstance(data, list) else [data]
    if not items:
        raise IngestError("the JSON list holds no articles", where)
    return [article_from_dict(item, f"{where} item {n}") for n, item in enumerate(items, 1)]


def parse_jsonl(text: str, where: str) -> list[Article]:
    articles = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"malformed JSON on line {n}: {exc.msg}", where) from exc
        except (ValueError, RecursionError) as exc:
            raise IngestError(f"unreadable JSON on line {n} ({json_problem(exc)})", where) from exc
        articles.append(article_from_dict(item, f"{where} line {n}"))
    if not articles:
        raise IngestError("the file holds no articles", where)
    return articles


def parse_feed(text: str, where: str) -> list[Article]:
    """A feed file's items as articles: whole or nothing, like every other file."""
    read = read_feed(text, where)
    if read.problems:
        raise read.problems[0]
    return [item.article for item in read.items]


def load_url(url: str, timeout: float = 10.0, private_hosts: bool = False) -> list[Article]:
    got = fetch(url, timeout=timeout, private_hosts=private_hosts)
    kind = got.content_type
    body = decode(got.body, url, declared=got.charset, markup=kind not in {"text/plain", "text/markdown"}
                  and "json" not in kind)
    if kind in FEED_TYPES - {"application/json"} or body.lstrip().startswith("<?xml"):
        return parse_feed(body, url)
    if "json" in kind:
        return parse_json(body, url)
    if kind in {"text/plain", "text/markdown"}:
        return [parse_plain_text(body, url, url=url)]
    return [parse_html(body, url, url=got.url)]
