"""The CLI's commands through a running newsbot server (`--url` / NEWSBOT_URL), with the SDK:
the server holds the store, so the CLI never needs its lock."""

import argparse
import sys
from collections.abc import Iterator

from bot import catalog
from bot.client import Client
from bot.client.errors import NotFoundError
from bot.models import Answer
from index.errors import IngestError
from index.ingest.articles import Article
from index.ingest.loaders import expand_sources, load_sources
from index.store.records import ArticleInfo, IngestReport

BATCH = 16  # articles per request: progress shows, and one request's work stays small


def run(args: argparse.Namespace, url: str, private_hosts: bool = False) -> tuple[int, object]:
    """(exit code, what to print: an IngestReport, an Answer, the article list, or a message)."""
    with Client(url) as client:
        if args.command == "ingest":
            return ingest(client, args.sources, args.skip_errors, private_hosts)
        if args.command == "ask":
            filters = {k: v for k, v in {"source": args.source, "published_after": args.after,
                                         "published_before": args.before}.items() if v}
            answer: Answer = client.ask(args.question, filters=filters or None)
            return 0, answer
        if args.command == "sources":
            return 0, client.list_sources()
        if args.action == "list":
            return 0, catalog.page(list(articles(client, q=args.q, source=args.source)), args.page, args.page_size)
        if args.action == "show":
            try:
                return 0, client.get_article(args.article_id)
            except NotFoundError:
                return 1, f"no article with id {args.article_id!r}"
        try:
            client.delete_article(args.article_id)
        except NotFoundError:
            return 1, f"no article with id {args.article_id!r}"
        return 0, f"deleted {args.article_id}"


def ingest(client: Client, sources: list[str], skip_errors: bool, private_hosts: bool = False
           ) -> tuple[int, IngestReport]:
    """Files, directories and URLs are read here (as a local ingest reads them) and the articles
    posted in batches; with `skip_errors` a source that does not load is listed and skipped."""
    report = IngestReport()
    loaded: list[Article] = []
    for source in expand_sources(sources):
        try:
            loaded += list(load_sources([source], private_hosts=private_hosts))
        except IngestError as exc:
            if not skip_errors:
                raise
            report.failed.append((str(source)[:200], str(exc)))
    for start in range(0, len(loaded), BATCH):
        result = client.ingest(loaded[start : start + BATCH])
        report.added += result.added
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.chunks_written += result.chunks_written
        if len(loaded) > BATCH:
            print(f"ingest: {min(start + BATCH, len(loaded))}/{len(loaded)} articles", file=sys.stderr, flush=True)
    return (1 if report.failed else 0), report


def articles(client: Client, page: int = 500, q: str | None = None, source: str | None = None
             ) -> Iterator[ArticleInfo]:
    offset = 0
    while True:
        batch = client.list_articles(offset=offset, limit=page, q=q, source=source)
        yield from batch.items
        offset += len(batch.items)
        if not batch.items or offset >= batch.total:
            return
