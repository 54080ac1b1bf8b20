"""A small thread-safe LRU map (answers and query vectors are cached by the Bot and retriever),
bounded by entries and, when given a way to weigh them, by bytes."""

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    def __init__(self, size: int, max_bytes: int | None = None,
                 weigh: Callable[[K, V], int] | None = None) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._weigh = weigh or (lambda _k, _v: 0)
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.bytes = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: K, value: V) -> None:
        if self.size <= 0:
            return
        weight = self._weigh(key, value)
        if self.max_bytes is not None and weight > self.max_bytes:
            return  # would evict everything else and still not fit
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, weight)
            self.bytes += weight
            while len(self._items) > self.size or (self.max_bytes is not None and self.bytes > self.max_bytes):
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped

    def __len__(self) -> int:
        return len(self._items)
