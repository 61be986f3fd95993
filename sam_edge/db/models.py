"""Tables: users, their platform accounts (tokens encrypted), the search cache, dialog history,
and a small key/value table for device state such as the active platform."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class DeviceState(Base):
    __tablename__ = "device_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)
