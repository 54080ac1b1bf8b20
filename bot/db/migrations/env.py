"""Alembic's environment: the caller hands over a connection in a transaction (bot.db.migrations.migrate)."""

from alembic import context

connection = context.config.attributes["connection"]
# SQLite alters tables by copying them (batch mode); other databases alter them in place.
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
