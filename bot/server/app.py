"""App factory and the uvicorn runner."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.core import Bot
from bot.server.routes import articles, chat, health, page
from bot.settings import Settings
from index.errors import NewsbotError, StoreError

PAGE = Path(__file__).resolve().parent.parent / "static" / "chat.html"


def create_app(settings: Settings | None = None, bot: Bot | None = None) -> FastAPI:
    bot = bot or Bot(settings=settings or Settings())
    app = FastAPI(title="newsbot", version="0.1.0",
                  description="Short, cited answers to questions about news articles.")
    app.state.bot = bot
    app.state.page_html = PAGE.read_text(encoding="utf-8")
    for router in (chat, articles, health, page):
        app.include_router(router)

    @app.exception_handler(NewsbotError)
    async def newsbot_error(_request: Request, exc: NewsbotError) -> JSONResponse:
        code = 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    app = create_app(settings)
    print(f"newsbot chat: http://{host}:{port}/  (API docs: http://{host}:{port}/docs)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
