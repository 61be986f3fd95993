"""Tables: users, their platform accounts (tokens encrypted), the search cache, dialog history,
a small key/value table for device state such as the active platform, and the synced music
library (tracks, playlists, their items and the sync runs)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _uuid() -> str:
    return str(uuid.uuid4())


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_uuid)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)


class PlatformAccount(Base):
    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("user_id", "platform_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform_name: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = mapped_column(String(200), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    access_token: Mapped[str] = mapped_column(Text)
    """Fernet token of the access token, never plain text."""
    refresh_token: Mapped[str] = mapped_column(Text)
    """Fernet token of the refresh token, never plain text."""
    expires_at: Mapped[float] = mapped_column(Float)
    scope: Mapped[str] = mapped_column(Text, default="")
    meta_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[float] = mapped_column(Float)


class SearchCacheEntry(Base):
    __tablename__ = "search_cache"
    __table_args__ = (UniqueConstraint("query_hash", "platform"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the normalized query (with artist and kind)."""
    query_text: Mapped[str] = mapped_column(Text, default="")
    platform: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="track")
    result_uri: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    artist: Mapped[str] = mapped_column(Text, default="")
    album: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class DialogTurn(Base):
    __tablename__ = "dialog_turns"
    __table_args__ = (Index("ix_dialog_turns_session_created", "session_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Float)
    user_text: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(32), default="ok")


class TurnRecord(Base):
    """A finished turn: its source, outcome and stage timings (no words)."""

    __tablename__ = "turn_log"
    __table_args__ = (Index("ix_turn_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64), default="")
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Float)


class DeviceState(Base):
    __tablename__ = "device_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)


class LibraryTrack(Base):
    """A track of a user's library: liked, or in one of their playlists."""

    __tablename__ = "library_tracks"
    __table_args__ = (
        UniqueConstraint("platform", "uri"),
        Index("ix_library_tracks_platform_liked", "platform", "liked"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    uri: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    artist: Mapped[str] = mapped_column(Text, default="")
    album: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title_norm: Mapped[str] = mapped_column(Text, default="")
    """``normalize_query(title)``, what spoken titles are matched against."""
    artist_norm: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """When the user liked it (seconds since the epoch); ``None`` for playlist-only tracks."""
    liked: Mapped[bool] = mapped_column(Boolean, default=False)
    liked_run: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The sync run that last saw it among the liked tracks (unliked ones are unmarked)."""
    synced_at: Mapped[float] = mapped_column(Float)


class LibraryPlaylist(Base):
    __tablename__ = "library_playlists"
    __table_args__ = (UniqueConstraint("platform", "uri"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    uri: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text, default="")
    name_norm: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(Text, default="")
    snapshot_id: Mapped[str] = mapped_column(Text, default="")
    """The version whose items are stored; empty until they have been read once."""
    track_count: Mapped[int] = mapped_column(Integer, default=0)
    owned: Mapped[bool] = mapped_column(Boolean, default=False)
    skipped_reason: Mapped[str] = mapped_column(Text, default="")
    """Why the items could not be read (e.g. ``forbidden``); empty when they were."""
    seen_run: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The sync run that last listed it (playlists no longer listed are removed)."""
    synced_at: Mapped[float] = mapped_column(Float)


class LibraryPlaylistItem(Base):
    __tablename__ = "library_playlist_items"
    __table_args__ = (
        UniqueConstraint("playlist_id", "position"),
        Index("ix_library_playlist_items_track_uri", "track_uri"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    playlist_id: Mapped[int] = mapped_column(
        ForeignKey("library_playlists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    track_uri: Mapped[str] = mapped_column(Text)


class SyncRun(Base):
    """One library sync of one platform; a run that did not finish is resumed from ``cursor``."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_platform_started", "platform", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")
    """``running``, ``ok`` or ``failed``."""
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    cursor: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Where to continue: the phase and the next page of it."""
    liked_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    liked_newest_added_at: Mapped[float | None] = mapped_column(Float, nullable=True)
