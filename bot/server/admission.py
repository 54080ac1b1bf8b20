"""A bound on the questions one worker holds at once. Answering runs on the server's thread pool,
which answers a few at a time; without a bound every other question waits in an unbounded queue
for a thread, and each one waiting adds to the latency of all behind it. Past the bound a question
is refused at once with 503 and Retry-After, which clients and load balancers retry."""

from starlette.types import ASGIApp, Receive, Scope, Send

from bot.server.errors import send_error

# The routes that answer a question (ingest, lists and feedback are bounded by other settings).
ANSWERING = frozenset({"/v1/chat", "/v1/chat/completions", "/v1/webhook"})
RETRY_AFTER_S = 1


class Admission:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.pending = 0  # the event loop is one thread: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in ANSWERING:
            await self.app(scope, receive, send)
            return
        if self.pending >= self.limit:
            await send_error(send, scope["path"], 503,
                             f"the server is busy: {self.limit} questions are being answered or waiting; "
                             f"retry in {RETRY_AFTER_S} s", [(b"retry-after", str(RETRY_AFTER_S).encode())])
            return
        self.pending += 1
        try:
            await self.app(scope, receive, send)  # returns when the response (a stream too) has been sent
        finally:
            self.pending -= 1
