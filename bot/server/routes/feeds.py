"""Followed feeds: follow (POST), list (GET), poll now, unfollow (DELETE). `newsbot serve` polls
them in the background (NEWSBOT_FEEDS__*)."""

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status

from bot.feeds import FeedPoller, FeedStore, PollResult, check_feed_url, parse_interval
from bot.schemas import ErrorBody, Feed, FeedIn, FeedList, FeedPolled
from bot.server.deps import BotDep
from bot.server.security import ApiKey, CanAdmin, CanIngest

# As for articles: listing is an `ask` key's, following and polling an `ingest` key's, unfollowing an `admin` key's.
router = APIRouter(prefix="/v1/feeds", tags=["feeds"])


def feed_store(bot: BotDep) -> FeedStore:
    return FeedStore.of(bot.database)


Feeds = Annotated[FeedStore, Depends(feed_store)]


@router.get("", response_model=FeedList, dependencies=[ApiKey])
def list_feeds(feeds: Feeds) -> FeedList:
    """The followed feeds: when each was last fetched, its last new item, its last error, items seen."""
    return FeedList(items=feeds.all())


@router.post("", response_model=Feed, status_code=status.HTTP_201_CREATED, dependencies=[CanIngest],
             responses={200: {"model": Feed, "description": "followed already: its interval updated"},
                        400: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def add_feed(body: FeedIn, bot: BotDep, feeds: Feeds, response: Response) -> Feed:
    """Follow a feed; the server polls it at once, then every `every`."""
    settings = bot.settings.feeds
    every = parse_interval(body.every if body.every is not None else settings.every_s, settings)
    feed, created = feeds.add(check_feed_url(body.url), every, time.time())
    if not created:
        response.status_code = status.HTTP_200_OK
    return feed


@router.post("/{feed_id:path}/poll", response_model=FeedPolled, dependencies=[CanIngest],
             responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}})
def poll_feed(feed_id: str, bot: BotDep, feeds: Feeds) -> FeedPolled:
    """Poll a feed now, due or not (unless another worker is polling it)."""
    feed = feeds.find(feed_id)
    if feed is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no followed feed {feed_id!r}")
    result: PollResult | None = FeedPoller(bot, feeds).poll(feed.id, force=True)
    if result is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "the feed is being polled right now; try again shortly")
    polled = feeds.get(feed.id) or feed
    return FeedPolled(feed=polled, new_items=result.new_items, not_modified=result.not_modified, error=result.error,
                      skipped=result.skipped)


@router.delete("/{feed_id:path}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanAdmin],
               responses={404: {"model": ErrorBody}})
def remove_feed(feed_id: str, feeds: Feeds) -> None:
    """Stop following a feed (its id, as listed). Articles it brought stay."""
    feed = feeds.find(feed_id)
    if feed is None or not feeds.remove(feed.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no followed feed {feed_id!r}")
