"""The routers, one per feature."""

from bot.server.routes.articles import router as articles
from bot.server.routes.articles import sources_router as sources
from bot.server.routes.chat import router as chat
from bot.server.routes.completions import router as completions
from bot.server.routes.conversations import router as conversations
from bot.server.routes.feedback import router as feedback
from bot.server.routes.feeds import router as feeds
from bot.server.routes.health import router as health
from bot.server.routes.page import router as page

routers = (chat, completions, conversations, feedback, articles, sources, feeds, health, page)

__all__ = ["routers"]
