"""The synced music library: library_tracks, library_playlists, library_playlist_items,
sync_runs. Only new tables: a 0001 database keeps every row it had.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_tracks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False, server_default=""),
        sa.Column("artist", sa.Text(), nullable=False, server_default=""),
        sa.Column("album", sa.Text(), nullable=False, server_default=""),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("title_norm", sa.Text(), nullable=False, server_default=""),
        sa.Column("artist_norm", sa.Text(), nullable=False, server_default=""),
        sa.Column("added_at", sa.Float(), nullable=True),
        sa.Column("liked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("liked_run", sa.Integer(), nullable=True),
        sa.Column("synced_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("platform", "uri"),
    )
    op.create_index("ix_library_tracks_platform_liked", "library_tracks", ["platform", "liked"])
    op.create_table(
        "library_playlists",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, server_default=""),
        sa.Column("name_norm", sa.Text(), nullable=False, server_default=""),
        sa.Column("owner", sa.Text(), nullable=False, server_default=""),
        sa.Column("snapshot_id", sa.Text(), nullable=False, server_default=""),
        sa.Column("track_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("owned", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("skipped_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("seen_run", sa.Integer(), nullable=True),
        sa.Column("synced_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("platform", "uri"),
    )
    op.create_table(
        "library_playlist_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "playlist_id", sa.Integer(),
            sa.ForeignKey("library_playlists.id", ondelete="CASCADE"), nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("track_uri", sa.Text(), nullable=False),
        sa.UniqueConstraint("playlist_id", "position"),
    )
    op.create_index(
        "ix_library_playlist_items_track_uri", "library_playlist_items", ["track_uri"]
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="running"),
        sa.Column("added", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("removed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("cursor", sa.JSON(), nullable=False),
        sa.Column("liked_total", sa.Integer(), nullable=True),
        sa.Column("liked_newest_added_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_sync_runs_platform_started", "sync_runs", ["platform", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_runs_platform_started", "sync_runs")
    op.drop_table("sync_runs")
    op.drop_index("ix_library_playlist_items_track_uri", "library_playlist_items")
    op.drop_table("library_playlist_items")
    op.drop_table("library_playlists")
    op.drop_index("ix_library_tracks_platform_liked", "library_tracks")
    op.drop_table("library_tracks")
