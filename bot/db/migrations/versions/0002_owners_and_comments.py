"""Conversations record who made them (API key, Slack, webhook); feedback may carry a comment.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    # A database from before migrations may have them already (newsbot added them by hand then).
    if "owner" not in _columns("conversations"):
        with op.batch_alter_table("conversations") as batch:
            batch.add_column(sa.Column("owner", sa.String(80), nullable=True))
    if "comment" not in _columns("feedback"):
        with op.batch_alter_table("feedback") as batch:
            batch.add_column(sa.Column("comment", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("comment")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("owner")
