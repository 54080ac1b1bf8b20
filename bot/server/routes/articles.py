"""Articles: add (JSON or file upload), list, delete."""

import asyncio
import json
import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import UploadFile

from bot import catalog
from bot.core import Bot
from bot.errors import first_problem
from bot.schemas import ARTICLES_BODY, ArticleDetail, ArticleIn, ArticlePage, ErrorBody, IngestResult, SourceList
from bot.server.deps import BotDep
from bot.server.security import ApiKey, CanAdmin, CanIngest
from index.ingest.articles import Article
from index.ingest.loaders import json_problem, load_bytes
from index.store.records import IngestReport

# Scopes per route: listing is an `ask` key's, adding an `ingest` key's, deleting an `admin` key's.
router = APIRouter(prefix="/v1/articles", tags=["articles"])
sources_router = APIRouter(prefix="/v1/sources", tags=["articles"])
_article_list: TypeAdapter[list[ArticleIn]] = TypeAdapter(list[ArticleIn])
MAX_FILES = 50
_POLL_S = 0.5  # how often an ingest looks whether its client is still there


@router.post("", response_model=IngestResult, openapi_extra=ARTICLES_BODY, dependencies=[CanIngest],
             responses={400: {"model": ErrorBody}, 413: {"model": ErrorBody}, 415: {"model": ErrorBody},
                        403: {"model": ErrorBody}, 422: {"model": ErrorBody}, 507: {"model": ErrorBody}})
async def post_articles(request: Request, bot: BotDep) -> IngestResult:
    """Add or update articles (idempotent): a JSON article or list, or files uploaded as
    multipart/form-data (.txt, .md, .html, .json, .jsonl, .rss/.atom/.xml). Nothing is stored
    unless every article is valid."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    most = bot.settings.max_articles_per_request
    warnings: list[str] = []
    if kind == "application/json":
        given = await _json_articles(request, most)
        sources: list[Any] = [a.as_source() for a in given]
        unread = sorted({name for a in given for name in a.unread()})
        if unread:
            warnings.append(f"ignored fields newsbot does not read: {', '.join(unread[:20])}")
    elif kind == "multipart/form-data":
        sources = await _uploaded_articles(request)
    else:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "send application/json (an article or a list) or multipart/form-data files")
    if not sources:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "no articles given")
    _check_count(len(sources), most)
    report = await _ingest_while_connected(request, bot, sources)
    return IngestResult(added=report.added, updated=report.updated, unchanged=report.unchanged,
                        chunks_written=report.chunks_written, warnings=warnings)


async def _ingest_while_connected(request: Request, bot: Bot, sources: list[Any]) -> IngestReport:
    """Ingest in a worker thread, stopped between batches when the client goes away or the
    server cancels the request on shutdown: no work for nobody, and only whole articles stored."""
    cancel = threading.Event()
    work = asyncio.ensure_future(run_in_threadpool(bot.ingest, sources, cancel=cancel))
    try:
        while not (await asyncio.wait({work}, timeout=_POLL_S))[0]:
            if await request.is_disconnected():
                cancel.set()
        return work.result()
    finally:
        cancel.set()  # a no-op once done; on cancellation (shutdown) it stops the thread


def _check_count(n: int, most: int) -> None:
    if n > most:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"{n} articles in one request; at most {most} "
                            "(NEWSBOT_MAX_ARTICLES_PER_REQUEST): send them in several")


async def _json_articles(request: Request, most: int) -> list[ArticleIn]:
    body = await request.body()
    # Parsing and validating up to max_body_bytes is CPU work: off the event loop, like every
    # other step of an ingest, so health checks and other requests go on meanwhile.
    return await run_in_threadpool(_parse_articles, body, most)


def _parse_articles(body: bytes, most: int) -> list[ArticleIn]:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"malformed JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 100,000 deep
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"unreadable JSON: {json_problem(exc)}") from exc
    try:
        if isinstance(data, list):
            _check_count(len(data), most)
            return _article_list.validate_python(data)
        return [ArticleIn.model_validate(data)]
    except ValidationError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid article: {first_problem(exc)}") from exc


async def _uploaded_articles(request: Request) -> list[Article]:
    try:
        form = await request.form(max_files=MAX_FILES)
    except HTTPException:
        raise
    except Exception as exc:  # python-multipart's parse errors
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed multipart body: {exc}") from exc
    articles: list[Article] = []
    for field, value in form.multi_items():
        if not isinstance(value, UploadFile):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, f"form field {field!r} is not a file")
        data = await value.read()
        articles.extend(await run_in_threadpool(load_bytes, data, value.filename or field))
    return articles


@router.get("", response_model=ArticlePage, dependencies=[ApiKey])
def list_articles(bot: BotDep, offset: Annotated[int, Query(ge=0)] = 0,
                  limit: Annotated[int, Query(ge=1, le=500)] = 50,
                  q: Annotated[str | None, Query(max_length=200, description="words the title holds")] = None,
                  source: Annotated[str | None, Query(max_length=200, description='a source as people name it: '
                                                      '"Reuters" finds "Reuters: World News" and reuters.com')] = None,
                  ) -> ArticlePage:
    """Stored articles, newest first; `q` and `source` narrow them."""
    infos = catalog.find(bot.articles(), q, source) if q or source else bot.articles()
    return ArticlePage(items=infos[offset : offset + limit], total=len(infos), offset=offset, limit=limit)


@router.get("/{article_id:path}", response_model=ArticleDetail, dependencies=[ApiKey],
            responses={404: {"model": ErrorBody}})
def get_article(article_id: str, bot: BotDep) -> ArticleDetail:
    """One stored article: its record and its passages in order."""
    found = bot.article(article_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no article with id {article_id!r}")
    return ArticleDetail.of(*found)


@sources_router.get("", response_model=SourceList, dependencies=[ApiKey])
def list_sources(bot: BotDep) -> SourceList:
    """The sources of the stored articles (name, hosts, how many articles, the newest date), and
    three questions about the newest articles to start with."""
    infos = bot.articles()
    return SourceList(items=catalog.sources(infos), articles=len(infos),
                      newest=max((i.published for i in infos if i.published), default=None),
                      examples=catalog.example_questions(infos))


@router.delete("/{article_id:path}", status_code=status.HTTP_204_NO_CONTENT, dependencies=[CanAdmin],
               responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 507: {"model": ErrorBody}})
def delete_article(article_id: str, bot: BotDep) -> None:
    """Delete an article and all its chunks. Ids may hold "/" (given ids are free text), raw or as %2F."""
    if not bot.delete(article_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no article with id {article_id!r}")
