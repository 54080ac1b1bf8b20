"""Ingest progress on stderr: a bar on a terminal, a line every few seconds otherwise (logs, CI)."""

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO


def chunk_progress(stream: TextIO | None = None, every_s: float = 5.0) -> tuple[Callable[[int, int], None],
                                                                               Callable[[], None]]:
    """(report(done, total), close()) for `ChunkStore.ingest`'s progress."""
    out = stream or sys.stderr
    if out.isatty():
        from tqdm import tqdm

        bars: list[tqdm[Any]] = []  # made at the first report, when the total is known

        def report_bar(done: int, total: int) -> None:
            if not bars:
                bars.append(tqdm(total=total, unit="chunk", desc="ingest", file=out))
            bars[0].update(done - bars[0].n)

        def close() -> None:
            for bar in bars:
                bar.close()

        return report_bar, close
    began = last = time.monotonic()

    def report_line(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every_s or done == total:
            last = now
            rate = done / max(now - began, 1e-9)
            left = f", about {round((total - done) / rate)} s left" if done < total and rate > 0 else ""
            print(f"ingest: {done}/{total} chunks embedded ({100 * done // max(total, 1)}%){left}",
                  file=out, flush=True)

    return report_line, lambda: None
