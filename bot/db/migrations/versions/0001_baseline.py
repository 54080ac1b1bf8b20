"""The shared database as newsbot first made it: conversations and turns, delivery dedupe keys,
shared state, the store's change log, rate-limit buckets and feedback.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "conversations" not in existing:
        op.create_table("conversations", sa.Column("id", sa.String(100), primary_key=True),
                        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    if "turns" not in existing:
        op.create_table("turns", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("id", sa.String(32), nullable=False, unique=True),
                        sa.Column("conversation_id", sa.String(100), sa.ForeignKey("conversations.id"), nullable=False),
                        sa.Column("question", sa.Text, nullable=False),
                        sa.Column("standalone", sa.Text, nullable=False),
                        sa.Column("answer", sa.Text, nullable=False),
                        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
        op.create_index("turns_by_conversation", "turns", ["conversation_id", "seq"])
    if "seen" not in existing:
        op.create_table("seen", sa.Column("key", sa.String(200), primary_key=True),
                        sa.Column("at", sa.DateTime(timezone=True), nullable=False))
    if "state" not in existing:
        op.create_table("state", sa.Column("key", sa.String(100), primary_key=True),
                        sa.Column("value", sa.String(100), nullable=False))
    if "store_changes" not in existing:
        op.create_table("store_changes", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("article_id", sa.Text, nullable=False))
    if "rate_buckets" not in existing:
        op.create_table("rate_buckets", sa.Column("key", sa.String(64), primary_key=True),
                        sa.Column("tokens", sa.Float, nullable=False), sa.Column("at", sa.Float, nullable=False))
    if "feedback" not in existing:
        op.create_table("feedback", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
                        sa.Column("answer_id", sa.String(32), nullable=False),
                        sa.Column("value", sa.Integer, nullable=False),
                        sa.Column("channel", sa.String(20), nullable=False),
                        sa.Column("user", sa.String(100), nullable=True),
                        sa.Column("at", sa.DateTime(timezone=True), nullable=False))
        op.create_index("ix_feedback_answer_id", "feedback", ["answer_id"])


def downgrade() -> None:
    for table in ("feedback", "rate_buckets", "store_changes", "state", "seen", "turns", "conversations"):
        op.drop_table(table)
