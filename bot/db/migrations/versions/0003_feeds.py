"""Followed feeds and the items already seen (bot/feeds/store.py).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "feeds" not in existing:
        op.create_table(
            "feeds", sa.Column("id", sa.String(16), primary_key=True), sa.Column("url", sa.Text, nullable=False),
            sa.Column("every_s", sa.Float, nullable=False), sa.Column("title", sa.Text, nullable=True),
            sa.Column("added_at", sa.Float, nullable=False), sa.Column("next_due", sa.Float, nullable=False),
            sa.Column("lease_owner", sa.String(100), nullable=True), sa.Column("lease_until", sa.Float, nullable=True),
            sa.Column("etag", sa.Text, nullable=True), sa.Column("last_modified", sa.Text, nullable=True),
            sa.Column("last_fetched_at", sa.Float, nullable=True), sa.Column("last_new_at", sa.Float, nullable=True),
            sa.Column("last_error", sa.Text, nullable=True), sa.Column("failures", sa.Integer, nullable=False),
            sa.Column("items_seen", sa.Integer, nullable=False))
    if "feed_items" not in existing:
        op.create_table("feed_items", sa.Column("feed_id", sa.String(16), primary_key=True),
                        sa.Column("key", sa.String(600), primary_key=True), sa.Column("at", sa.Float, nullable=False))


def downgrade() -> None:
    op.drop_table("feed_items")
    op.drop_table("feeds")
