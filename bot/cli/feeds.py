"""`newsbot feeds add|list|poll|remove`: followed feeds, on the local store or through a server (--url)."""

import argparse
import time
from typing import Any

from bot.schemas import Feed, FeedPolled
from bot.settings import Settings


def add_parser(sub: Any) -> None:
    feeds = sub.add_parser("feeds", help="follow RSS, Atom and JSON feeds: `newsbot serve` polls them")
    actions = feeds.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="follow a feed (polled at once, then every --every)")
    add.add_argument("feed_url")
    add.add_argument("--every", help="how often: 15m, 1h, 90s, 2d (default NEWSBOT_FEEDS__EVERY_S, 15m)")
    actions.add_parser("list", help="followed feeds: last fetched, last new item, last error, items seen")
    poll = actions.add_parser("poll", help="poll feeds now: the ones due, the one named, or --all")
    poll.add_argument("feed", nargs="?", help="a feed's id or URL")
    poll.add_argument("--all", action="store_true", help="every followed feed, due or not")
    remove = actions.add_parser("remove", help="stop following a feed (the articles it brought stay)")
    remove.add_argument("feed", help="a feed's id or URL")


def run(args: argparse.Namespace, settings: Settings) -> tuple[int, str]:
    """(exit code, what to print)."""
    if args.url:
        return _remote(args)
    from bot.core import Bot
    from bot.feeds import FeedPoller, FeedStore, check_feed_url, parse_interval

    bot = Bot(settings=settings)
    store = FeedStore.of(bot.database)
    if args.action == "add":
        every = parse_interval(args.every or settings.feeds.every_s, settings.feeds)
        feed, created = store.add(check_feed_url(args.feed_url), every, time.time())
        return 0, f"{'following' if created else 'already following; interval set'}: {_line(feed)}"
    if args.action == "list":
        return 0, "\n".join(_line(f) for f in store.all()) or "no followed feeds"
    named = store.find(args.feed) if args.feed else None
    if args.feed and named is None:
        return 1, f"no followed feed {args.feed!r}"
    if args.action == "remove":
        assert named is not None
        store.remove(named.id)
        return 0, f"stopped following {named.url}"
    poller = FeedPoller(bot, store)
    everything = [f.id for f in store.all()] if args.all else store.due(time.time())
    ids = [named.id] if named is not None else everything
    lines, failed = [], False
    for fid in ids:
        result = poller.poll(fid, force=True)
        if result is None:
            lines.append(f"{fid}: being polled by another worker")
            continue
        failed |= result.error is not None
        polled = store.get(fid)
        if polled is not None:
            lines.append(_polled(FeedPolled(feed=polled, new_items=result.new_items, not_modified=result.not_modified,
                                            error=result.error, skipped=result.skipped)))
    return (1 if failed else 0), "\n".join(lines) or "no feeds due"


def _remote(args: argparse.Namespace) -> tuple[int, str]:
    from bot.client import Client, NotFoundError

    with Client(args.url) as client:
        if args.action == "add":
            return 0, f"following: {_line(client.add_feed(args.feed_url, args.every))}"
        if args.action == "list":
            return 0, "\n".join(_line(f) for f in client.list_feeds()) or "no followed feeds"
        if args.action == "poll" and not args.feed:
            polled = [client.poll_feed(f.id) for f in client.list_feeds()]
            return (1 if any(p.error for p in polled) else 0), "\n".join(_polled(p) for p in polled) or "no feeds"
        try:
            if args.action == "poll":
                result = client.poll_feed(args.feed)
                return (1 if result.error else 0), _polled(result)
            client.remove_feed(args.feed)
        except NotFoundError:
            return 1, f"no followed feed {args.feed!r}"
        return 0, f"stopped following {args.feed}"


def _line(feed: Feed) -> str:
    def when(value: object) -> str:
        return str(value)[:16].replace("T", " ") if value else "never"

    state = f"error: {feed.last_error}" if feed.last_error else "ok"
    return (f"{feed.id}\t{feed.url}\tevery {feed.every_s:g} s\tfetched {when(feed.last_fetched_at)}\t"
            f"new item {when(feed.last_new_item_at)}\t{feed.items_seen} items\t{state}")


def _polled(result: FeedPolled) -> str:
    if result.error:
        return f"{result.feed.url}: failed: {result.error}"
    if result.not_modified:
        return f"{result.feed.url}: not modified"
    skipped = f", {len(result.skipped)} skipped ({result.skipped[0]})" if result.skipped else ""
    return f"{result.feed.url}: {result.new_items} new items{skipped}"

