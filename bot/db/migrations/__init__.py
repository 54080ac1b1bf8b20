"""The shared database's schema, kept by Alembic (versions/): an empty database is built by the
migrations, a database from before them (made by create_all, with or without the columns added
since) is recognised, stamped at the baseline, and brought up to date. Every worker runs this at
start; the revisions check before they change anything, so workers starting together agree."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

HERE = Path(__file__).resolve().parent
BASELINE = "0001"
_ATTEMPTS = 3


def config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None
    return found


def current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (a no-op when it is there)."""
    for attempt in range(_ATTEMPTS):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":  # one worker migrates at a time; the others then find it done
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(7251016)"))
                tables = set(sa.inspect(conn).get_table_names())
                cfg = config(conn)
                if "alembic_version" not in tables and "conversations" in tables:
                    command.stamp(cfg, BASELINE)  # made before migrations: its baseline is there
                command.upgrade(cfg, "head")
            return
        except SQLAlchemyError:
            if attempt == _ATTEMPTS - 1:
                raise  # two workers on one SQLite file racing through the same first migration: once more
