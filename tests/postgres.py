"""A throwaway PostgreSQL server for the tests: Debian's postgresql binaries (`make test` installs
the package where it is missing), a fresh cluster in a temporary directory, listening on
127.0.0.1 only, trust authentication, stopped at the end."""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.server.workers import free_port, stop_process


def postgres_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs Debian's postgresql package")
    return found[-1].parent


@contextmanager
def postgres_server() -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty database on a server of its own."""
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="newsbot-pg-"))
    # PostgreSQL refuses to run as root: run it as the postgres user the package creates.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    port = free_port()
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(root / "data"), "-U", "newsbot", "--auth=trust",
                    "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    log = (root / "server.log").open("ab")
    server = subprocess.Popen([*as_user, str(bin_dir / "postgres"), "-D", str(root / "data"), "-k", str(root),
                               "-p", str(port), "-h", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                             capture_output=True).returncode != 0:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start; see {root / 'server.log'}")
            time.sleep(0.2)
        subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "newsbot", "newsbot"],
                       check=True, capture_output=True, timeout=60)
        yield f"postgresql+psycopg://newsbot@127.0.0.1:{port}/newsbot"
    finally:
        stop_process(server, 20)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
