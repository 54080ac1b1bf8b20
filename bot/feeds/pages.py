"""A feed item that carries only a summary is completed from its page: the link is fetched (the same
URL rules and caps as the feed, one request at a time, a pause between requests to one host) and
the page's article text replaces the summary; its canonical URL is cited."""

import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from bot.settings import FeedSettings
from index.errors import IngestError
from index.ingest.articles import Article
from index.ingest.charsets import decode
from index.ingest.fetch import fetch
from index.ingest.loaders import parse_html


def summary_only(article: Article, settings: FeedSettings) -> bool:
    return bool(article.url) and len(article.text.split()) < settings.summary_words


class PageFetcher:
    def __init__(self, settings: FeedSettings, private_hosts: bool, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.private_hosts = private_hosts
        self.sleep = sleep
        self.clock = clock
        self._last: dict[str, float] = {}  # host -> when its last request ended

    def complete(self, articles: Sequence[Article]) -> tuple[list[Article], list[str]]:
        """The articles with each summary-only one's text from its page where that is longer;
        (articles, problems: pages that could not be read, the summary kept). Pages are fetched for
        at most half the poll's lease, so no other worker takes the feed over meanwhile."""
        out, problems = [], []
        deadline = self.clock() + self.settings.lease_s / 2
        for article in articles:
            if not (self.settings.fetch_pages and summary_only(article, self.settings)):
                out.append(article)
                continue
            if self.clock() > deadline:
                problems.append(f"kept the summary: {str(article.url)[:200]}: the poll's time for pages is up")
                out.append(article)
                continue
            try:
                out.append(self._from_page(article))
            except IngestError as exc:
                problems.append(f"kept the summary: {exc}")
                out.append(article)
        return out, problems

    def _from_page(self, article: Article) -> Article:
        url = str(article.url)
        host = urlsplit(url).hostname or ""
        wait = self._last.get(host, float("-inf")) + self.settings.page_delay_s - self.clock()
        if wait > 0:
            self.sleep(wait)
        try:
            got = fetch(url, timeout=self.settings.timeout_s, private_hosts=self.private_hosts,
                        max_bytes=self.settings.max_bytes)
        finally:
            self._last[host] = self.clock()
        if not got.content_type.startswith(("text/html", "application/xhtml")):
            raise IngestError(f"the page is {got.content_type or 'of no declared type'}, not HTML", url[:200])
        page = parse_html(decode(got.body, url, declared=got.charset, markup=True), url)
        if len(page.text.split()) <= len(article.text.split()):
            return article
        canonical = page.url if page.url and page.url.startswith(("http://", "https://")) else got.url
        return Article(title=article.title or page.title, text=page.text, url=canonical, source=article.source,
                       published=article.published or page.published)
