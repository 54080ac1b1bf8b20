"""newsbot as an MCP server (the official `mcp` SDK): tools `ask_news`, `search_news`,
`list_articles` and `list_feeds`, and a resource per article, over stdio (`newsbot mcp`, for desktop
assistants) or streamable HTTP (mounted in the API server at /mcp)."""

import json
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field

from bot.core import Bot
from bot.db.database import new_conversation_id
from bot.models import Citation, Filters
from bot.schemas import ArticlePage, FeedList
from index.errors import NewsbotError

READ_ONLY = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
MAX_SEARCH = 20
MAX_PAGE = 200
OWNER_KEY = "newsbot_owner"  # where the HTTP mount leaves who is asking, in the request's ASGI state
STDIO_OWNER = "mcp"  # over stdio the one client is the local user


class NewsAnswer(BaseModel):
    answer: str = Field(description="the answer, citing passages as [n]; the decline text when the articles "
                                    "don't say")
    answerable: bool = Field(description="false when the stored articles don't answer the question")
    citations: list[Citation]
    warnings: list[str] = []
    conversation_id: str = Field(description="pass it with the next question to ask a follow-up "
                                             "('When will they arrive?')")


class NewsPassage(BaseModel):
    article_id: str
    title: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    text: str
    score: float = Field(description="fused rank score (higher is better)")


class NewsPassages(BaseModel):
    passages: list[NewsPassage]


FiltersArg = Annotated[Filters | None, Field(description="restrict to articles: published_after / published_before "
                                                         "(dates), source, article_id (lists)")]


def build_mcp(get_bot: Callable[[], Bot]) -> MCPServer:
    """The MCP server over the Bot `get_bot` gives (called on first use, in a worker thread)."""
    server: MCPServer = MCPServer("newsbot", version="0.1.0", instructions=(
        "Answers questions about the news articles stored in newsbot, with citations to the passages that "
        "support each answer. When the articles don't say, the answer says so (answerable: false): do not "
        "fill the gap from elsewhere."))

    async def in_thread(work: Callable[[], Any]) -> Any:
        try:
            return await anyio.to_thread.run_sync(work)
        except NewsbotError as exc:  # a bad question or filter, or the store away: the model reads why
            raise ToolError(str(exc)) from exc

    @server.tool(annotations=READ_ONLY)
    async def ask_news(question: Annotated[str, Field(description="a question about the news")],
                       ctx: Context,
                       conversation_id: Annotated[str | None, Field(
                           max_length=100, description="the conversation_id an earlier ask_news returned, to "
                                                       "ask a follow-up in its light; leave out to start one")] = None,
                       filters: FiltersArg = None) -> NewsAnswer:
        """Answer a question from the stored news articles: a short answer citing its passages as [n],
        or an honest 'the indexed articles don't say'. Follow-ups ('How old is he?') are understood
        within the conversation their conversation_id names."""
        owner = owner_of(ctx)

        def ask() -> NewsAnswer:
            bot = get_bot()
            if conversation_id is not None and not bot.database.belongs_to(conversation_id, owner):
                raise ToolError(f"no conversation with id {conversation_id!r}; leave conversation_id out to "
                                "start one")
            conversation = conversation_id or new_conversation_id()
            answer = bot.ask(question, conversation_id=conversation, filters=filters, owner=owner)
            return NewsAnswer(answer=answer.text, answerable=answer.answerable, citations=answer.citations,
                              warnings=answer.warnings, conversation_id=conversation)

        result: NewsAnswer = await in_thread(ask)
        return result

    @server.tool(annotations=READ_ONLY)
    async def search_news(query: Annotated[str, Field(description="words or a question to search for")],
                          k: Annotated[int, Field(ge=1, le=MAX_SEARCH, description="passages to return")] = 5,
                          filters: FiltersArg = None) -> NewsPassages:
        """Find the passages of stored articles that best match a query (hybrid keyword and vector
        search), with each article's title, url, date and source."""
        def search() -> list[NewsPassage]:
            bot = get_bot()
            return [NewsPassage(article_id=p.article_id, title=str(p.chunk.metadata.get("title", "")),
                                url=p.chunk.metadata.get("url"), published=p.chunk.metadata.get("published"),
                                source=p.chunk.metadata.get("source"), text=p.chunk.text, score=round(p.score, 6))
                    for p in bot.search(bot.check_question(query), filters, k=k)]

        return NewsPassages(passages=await in_thread(search))

    @server.tool(annotations=READ_ONLY)
    async def list_articles(offset: Annotated[int, Field(ge=0)] = 0,
                            limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 50) -> ArticlePage:
        """The stored articles, newest first, a page at a time."""
        infos = await in_thread(lambda: get_bot().articles())
        return ArticlePage(items=infos[offset:offset + limit], total=len(infos), offset=offset, limit=limit)

    @server.tool(annotations=READ_ONLY)
    async def list_feeds() -> FeedList:
        """The news feeds newsbot follows: when each was last fetched, its last new item, its last
        error and how many items it has brought."""
        from bot.feeds import FeedStore

        result: FeedList = await in_thread(lambda: FeedList(items=FeedStore.of(get_bot().database).all()))
        return result

    @server.resource("newsbot://articles/{article_id}", mime_type="application/json",
                     description="One stored article: its metadata and its passages in order")
    async def article(article_id: str) -> str:
        try:
            found = await anyio.to_thread.run_sync(lambda: get_bot().article(article_id))
        except NewsbotError as exc:
            raise ResourceError(str(exc)) from exc
        if found is None:
            raise ResourceNotFoundError(f"no stored article with id {article_id!r}")
        info, passages = found
        return json.dumps({"id": info.id, "title": info.title, "url": info.url, "published": info.published,
                           "source": info.source, "passages": passages}, ensure_ascii=False)

    return server


def owner_of(ctx: Context) -> str:
    """Who owns the conversations this request makes: the API key the HTTP mount admitted, or the
    local user over stdio."""
    request = ctx.request_context.request
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        owner = scope.get("state", {}).get(OWNER_KEY)
        if isinstance(owner, str):
            return owner
    return STDIO_OWNER


def run_stdio(bot: Bot) -> None:
    """Serve MCP on stdin/stdout until the client closes them."""
    build_mcp(lambda: bot).run("stdio")
