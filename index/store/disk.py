"""A disk watermark, as search engines keep one (Elasticsearch's flood stage): writes are refused
while the data dir's volume has less than a set amount free, before Chroma or SQLite can fail
halfway through a write (a probe with a full 8 MB volume got "Error in compaction" for writes that
had in fact been applied, then a deadlock once space returned). Reads go on."""

import shutil
from pathlib import Path

from index.errors import DiskFullError

MB = 1024 * 1024


def free_mb(path: Path) -> float:
    """Free space on the volume holding `path` (its nearest existing parent when not made yet)."""
    here = path.resolve()
    while not here.exists() and here != here.parent:
        here = here.parent
    return shutil.disk_usage(here).free / MB


def check_room(path: Path, min_free_mb: float) -> None:
    """Raise DiskFullError when the volume of `path` has less than `min_free_mb` free (0: never)."""
    if min_free_mb <= 0:
        return
    free = free_mb(path)
    if free < min_free_mb:
        raise DiskFullError(f"the data dir's disk has {free:.0f} MB free, under NEWSBOT_MIN_FREE_DISK_MB="
                            f"{min_free_mb:g}: writes are refused until space is freed (reads go on)")
