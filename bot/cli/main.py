"""The `newsbot` command line."""

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from bot import catalog
from bot.catalog import SourceInfo
from bot.cli import feeds as cli_feeds
from bot.models import Answer
from bot.schemas import ArticleDetail, ChatResponse
from bot.settings import Settings
from index.errors import IngestError, NewsbotError
from index.store.records import IngestReport


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot", description="Ask questions about news articles.")
    parser.add_argument("--data-dir", type=Path,
                        help="where the store lives (default: $NEWSBOT_DATA_DIR or ./.newsbot)")
    parser.add_argument("--url", default=os.environ.get("NEWSBOT_URL") or None,
                        help="ingest, ask and articles through the newsbot server at this URL instead of opening "
                             "the store (default: $NEWSBOT_URL); API key from $NEWSBOT_API_KEY")
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="add or update articles from files, directories or URLs")
    ingest.add_argument("sources", nargs="+", help=".txt .md .html .json .jsonl .rss/.atom/.xml, a directory, or a URL")
    ingest.add_argument("--skip-errors", action="store_true", help="ingest what loads and list the failures")
    ingest.add_argument("--allow-private-hosts", action="store_true",
                        help="fetch URLs from private, loopback and link-local addresses too (refused by default)")

    ask = sub.add_parser("ask", help="answer a question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    ask.add_argument("--source", action="append", help="only articles from this source (repeatable)")
    ask.add_argument("--after", help="only articles published on or after this ISO date")
    ask.add_argument("--before", help="only articles published on or before this ISO date")

    articles = sub.add_parser("articles", help="list or delete stored articles")
    articles_sub = articles.add_subparsers(dest="action", required=True)
    listing = articles_sub.add_parser("list", help="list stored articles, newest first")
    listing.add_argument("--q", help="only articles whose title holds these words")
    listing.add_argument("--source", help='only articles from this source ("Reuters" finds "Reuters: World News" '
                                          "and reuters.com)")
    listing.add_argument("--page", type=int, default=0, help="with --page-size: this page (1 is the first); "
                                                             "0 lists every article")
    listing.add_argument("--page-size", type=int, default=50)
    show = articles_sub.add_parser("show", help="one stored article: its record and passages")
    show.add_argument("article_id")
    delete = articles_sub.add_parser("delete", help="delete an article and all its chunks")
    delete.add_argument("article_id")
    sub.add_parser("sources", help="the stored articles' sources: articles, newest date, hosts")

    ev = sub.add_parser("eval", help="evaluate on a question set (dev_news_qa format)")
    ev.add_argument("questions", type=Path)
    ev.add_argument("--articles", type=Path, help="articles to index into a temporary store first")
    ev.add_argument("--k", type=int, default=5, help="citations counted for retrieval hit@k")
    ev.add_argument("--details", type=Path, help="write one JSON line per question here")

    cli_feeds.add_parser(sub)

    sub.add_parser("mcp", help="serve the store to an MCP client (a desktop assistant) on stdin/stdout")

    serve = sub.add_parser("serve", help="run the chat server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1,
                       help="uvicorn worker processes; with more than one and no NEWSBOT_CHROMA_URL, a local "
                            "Chroma server is started over the data dir for them to share")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        try:
            given = {"data_dir": args.data_dir} if args.data_dir else {}
            if getattr(args, "allow_private_hosts", False):
                given["fetch_private_hosts"] = True
            settings = Settings(**given)
        except ValidationError as exc:
            print(f"newsbot: error: invalid settings: {_settings_problem(exc)}", file=sys.stderr)
            return 2
        return _run(args, settings)
    except IngestError as exc:
        hint = "" if getattr(args, "skip_errors", True) else " (nothing was ingested; --skip-errors ingests the " \
            "rest and lists what failed)"
        print(f"newsbot: error: {exc}{hint}", file=sys.stderr)
        return 1
    except NewsbotError as exc:
        print(f"newsbot: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        kept = " (articles written so far are kept whole)" if args.command == "ingest" else ""
        print(f"newsbot: interrupted{kept}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (`| head`): nothing more to say, and nowhere to say it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _settings_problem(exc: ValidationError) -> str:
    """One line per problem, named as the environment variable that sets it."""
    problems = []
    for error in exc.errors():
        name = "NEWSBOT_" + "__".join(str(part) for part in error["loc"]).upper() if error["loc"] else "settings"
        problems.append(f"{name}: {str(error['msg']).removeprefix('Value error, ')}")
    return "; ".join(problems)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "eval":
        from bot.evaluation import run_eval

        report = run_eval(args.questions, args.articles, settings, k=args.k, progress=sys.stderr.isatty())
        if args.details:
            with args.details.open("w", encoding="utf-8") as out:
                for item in report.items:
                    out.write(json.dumps(item.__dict__) + "\n")
        print(json.dumps(report.summary(), indent=2))
        return 0
    if args.command == "serve":
        from bot.server import serve

        if args.workers < 1:
            raise NewsbotError("--workers must be at least 1")
        serve(settings, args.host, args.port, args.workers)
        return 0
    if args.command == "feeds":
        code, text = cli_feeds.run(args, settings)
        return _show(args, code, text)
    if args.command == "mcp":
        if args.url:
            raise NewsbotError(f"`newsbot mcp` serves the local store; for the server at {args.url}, point the MCP "
                               f"client at {args.url.rstrip('/')}/mcp (streamable HTTP) instead")
        from bot.core import Bot
        from bot.mcp.server import run_stdio

        run_stdio(Bot(settings=settings))
        return 0
    if args.url:
        from bot.cli.remote import run

        code, result = run(args, args.url, settings.fetch_private_hosts)
        return _show(args, code, result)
    from bot.core import Bot  # Chroma, LangChain and the models: only for commands that open the store

    bot = Bot(settings=settings)
    if args.command == "ingest":
        ingested = bot.ingest(args.sources, on_error="skip" if args.skip_errors else "raise", progress=True)
        return _show(args, 1 if ingested.failed else 0, ingested)
    if args.command == "ask":
        filters = {k: v for k, v in {"source": args.source, "published_after": args.after,
                                     "published_before": args.before}.items() if v}
        answer = bot.ask(args.question, filters=filters or None)
        if not answer.answerable and bot.store.count() == 0:
            raise NewsbotError(f"the store in {settings.data_dir} holds no articles: add some with "
                               "`newsbot ingest FILE_OR_URL...` (or pass the right --data-dir)")
        return _show(args, 0, answer)
    if args.command == "sources":
        return _show(args, 0, catalog.sources(bot.articles()))
    if args.action == "list":
        return _show(args, 0, catalog.page(catalog.find(bot.articles(), args.q, args.source), args.page,
                                           args.page_size))
    if args.action == "show":
        found = bot.article(args.article_id)
        if found is None:
            return _show(args, 1, f"no article with id {args.article_id!r}")
        return _show(args, 0, ArticleDetail.of(*found))
    if not bot.delete(args.article_id):
        return _show(args, 1, f"no article with id {args.article_id!r}")
    return _show(args, 0, f"deleted {args.article_id}")


def _show(args: argparse.Namespace, code: int, result: object) -> int:
    """Print a command's result the same way whether it ran here or through a server."""
    if isinstance(result, IngestReport):
        for _source, message in result.failed:
            print(f"newsbot: failed: {message}", file=sys.stderr)
        print(result.summary())
    elif isinstance(result, Answer):
        for warning in result.warnings:
            print(f"newsbot: warning: {warning}", file=sys.stderr)
        if args.json:  # the HTTP API's field names, so one parser reads both
            print(ChatResponse.from_answer(result).model_dump_json(indent=2))
        else:
            print(result.text)
            for c in result.citations:
                when = f", {c.published[:10]}" if c.published else ""
                print(f"  [{c.n}] {c.title or c.article_id}{when}{' ' + c.url if c.url else ''}\n      “{c.quote}”")
    elif isinstance(result, ArticleDetail):
        print("\n".join(f"{k}: {v}" for k, v in (("id", result.id), ("title", result.title), ("url", result.url),
                                                  ("published", result.published), ("source", result.source),
                                                  ("chunks", result.chunks)) if v is not None))
        for n, passage in enumerate(result.passages, 1):
            print(f"\n[{n}] {passage}")
    elif isinstance(result, list) and result and isinstance(result[0], SourceInfo):
        for source in result:
            print(f"{source.name or '(no source)'}\t{source.articles} articles\tnewest {(source.newest or '')[:10]}"
                  f"\t{' '.join(source.hosts)}")
    elif isinstance(result, list):
        for info in result:
            print(f"{info.id}\t{(info.published or '')[:10]}\t{info.source or ''}\t{info.title}")
    elif code:
        print(f"newsbot: error: {result}", file=sys.stderr)
    else:
        print(result)
    return code


def entry() -> None:
    """The `newsbot` command. After a command that only reads (ask, articles list), the process
    exits at once instead of tearing down Chroma, the models and the imports one by one: about a
    second of a cold `ask`. Commands that write exit normally."""
    argv = sys.argv[1:]
    code = main(argv)
    args = _parser().parse_args(argv)  # main has parsed them already, so they parse
    if args.command in ("ask", "sources") or (args.command == "articles" and args.action in ("list", "show")):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            code = code or 1
        os._exit(code)
    raise SystemExit(code)


if __name__ == "__main__":
    entry()
