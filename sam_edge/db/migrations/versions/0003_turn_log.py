"""The turn log: one row per finished turn of any kind (voice, upload, chat, button) with its
status and stage timings, for ``sam-edge status``. No words: what was said stays in the dialog
history, which ``sam-edge forget`` erases.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "turn_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("turn_id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("action", sa.String(32), nullable=False, server_default=""),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False, server_default=""),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_turn_log_created", "turn_log", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_turn_log_created", table_name="turn_log")
    op.drop_table("turn_log")
