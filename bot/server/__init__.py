"""The chat service: `create_app(settings)` builds the FastAPI app; `serve` runs it under uvicorn."""

from bot.server.app import create_app, serve

__all__ = ["create_app", "serve"]
