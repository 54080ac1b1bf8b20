"""`Client`: the newsbot HTTP API from Python, blocking."""

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self
from urllib.parse import quote

import httpx

from bot.catalog import SourceInfo
from bot.client.base import NOT_GIVEN, ArticleSource, BaseClient, NotGiven, SSEDecoder
from bot.models import Answer, Conversation, Filters, StreamItem
from bot.schemas import ArticleDetail, ArticlePage, Feed, FeedList, FeedPolled, IngestResult, SourceList


class Client(BaseClient):
    """>>> with Client("http://127.0.0.1:8000") as c:
    ...     c.ask("Who attends the summit?").text
    """

    def __init__(self, base_url: str | None = None, *, api_key: str | NotGiven | None = NOT_GIVEN,
                 timeout: float | httpx.Timeout = 60.0, max_retries: int = 2,
                 http_client: httpx.Client | None = None) -> None:
        super().__init__(base_url, api_key, timeout, max_retries)
        self._http = http_client or httpx.Client(timeout=timeout)

    def ask(self, message: str, conversation_id: str | None = None,
            filters: Filters | dict[str, Any] | None = None) -> Answer:
        body = self._chat_json(message, conversation_id, filters, stream=False)
        return self._answer(self._request("POST", "/v1/chat", json=body).json())

    def stream(self, message: str, conversation_id: str | None = None,
               filters: Filters | dict[str, Any] | None = None) -> Iterator[StreamItem]:
        """Answer deltas as they arrive, then the citations, then the whole answer (DoneEvent)."""
        body = self._chat_json(message, conversation_id, filters, stream=True)
        with self._send_streaming("POST", "/v1/chat", json=body) as response:
            decoder = SSEDecoder()
            try:
                for line in response.iter_lines():
                    if (event := decoder.feed(line)) is not None:
                        yield event
            except httpx.HTTPError as exc:
                raise self._connection_error(exc) from exc

    def ingest(self, sources: ArticleSource | Iterable[ArticleSource]) -> IngestResult:
        """Add or update articles: dicts, `Article`s, files or directories of them."""
        response = self._request("POST", "/v1/articles", **self._ingest_kwargs(sources))
        return IngestResult.model_validate(response.json())

    def list_articles(self, offset: int = 0, limit: int = 50, q: str | None = None,
                      source: str | None = None) -> ArticlePage:
        """Stored articles, newest first; `q`: words their titles hold; `source`: as people name it."""
        params = {k: v for k, v in {"offset": offset, "limit": limit, "q": q, "source": source}.items()
                  if v is not None}
        response = self._request("GET", "/v1/articles", params=params)
        return ArticlePage.model_validate(response.json())

    def get_article(self, article_id: str) -> ArticleDetail:
        """One stored article: its record and its passages in order."""
        response = self._request("GET", f"/v1/articles/{quote(article_id, safe='')}")
        return ArticleDetail.model_validate(response.json())

    def list_sources(self) -> list[SourceInfo]:
        """The stored articles' sources: name, hosts, how many articles, the newest date."""
        response = self._request("GET", "/v1/sources")
        return SourceList.model_validate(response.json()).items

    def delete_article(self, article_id: str) -> None:
        self._request("DELETE", f"/v1/articles/{quote(article_id, safe='')}")

    def add_feed(self, url: str, every: str | float | None = None) -> Feed:
        """Follow an RSS, Atom or JSON feed; the server polls it every `every` ("15m", "1h", seconds)."""
        response = self._request("POST", "/v1/feeds", json={"url": url, "every": every})
        return Feed.model_validate(response.json())

    def list_feeds(self) -> list[Feed]:
        response = self._request("GET", "/v1/feeds")
        return FeedList.model_validate(response.json()).items

    def poll_feed(self, feed_id: str) -> FeedPolled:
        """Poll a followed feed now (its id or URL)."""
        response = self._request("POST", f"/v1/feeds/{quote(feed_id, safe='')}/poll")
        return FeedPolled.model_validate(response.json())

    def remove_feed(self, feed_id: str) -> None:
        """Stop following a feed (its id or URL); the articles it brought stay."""
        self._request("DELETE", f"/v1/feeds/{quote(feed_id, safe='')}")

    def conversation(self, conversation_id: str) -> Conversation:
        return Conversation.model_validate(self._request("GET", f"/v1/conversations/{conversation_id}").json())

    # ---- I/O --------------------------------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        with self._send_streaming(method, path, **kwargs) as response:
            response.read()
            return response

    @contextmanager
    def _send_streaming(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """The response of the first attempt that is not retried; errors raised as ours."""
        attempt = 0
        while True:
            try:
                request = self._http.build_request(method, self.base_url + path, headers=self._headers(),
                                                   timeout=self.timeout, **kwargs)
                response = self._http.send(request, stream=True)
            except httpx.HTTPError as exc:
                if attempt >= self.max_retries:
                    raise self._connection_error(exc) from exc
                time.sleep(self._delay(attempt, None))
                attempt += 1
                continue
            if response.is_success:
                try:
                    yield response
                finally:
                    response.close()
                return
            try:
                response.read()
            except httpx.HTTPError as exc:
                raise self._connection_error(exc) from exc
            finally:
                response.close()
            if attempt >= self.max_retries or not self._retryable(response):
                raise self._status_error(response)
            time.sleep(self._delay(attempt, response))
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
