"""Followed feeds: the feeds table in the shared database (store) and the poller that reads them."""

from bot.feeds.poller import FeedPoller, PollResult, check_feed_url, parse_interval
from bot.feeds.store import FeedStore
from bot.schemas import Feed

__all__ = ["Feed", "FeedPoller", "FeedStore", "PollResult", "check_feed_url", "parse_interval"]
