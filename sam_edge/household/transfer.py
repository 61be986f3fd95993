"""Copying a store's shared tables into another: this device's SQLite file into the household's
PostgreSQL (``household create``), or back (``household leave``).

Tokens are decrypted with the source's key and encrypted with the target's, so they are never
written in plain text. Each table is copied in one transaction, parents before children, and on
PostgreSQL the id sequences are moved past the copied ids.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ..accounts.secrets import Cipher
from ..db.models import Base

SHARED = ("users", "platform_accounts", "library_tracks", "library_playlists",
          "library_playlist_items", "sync_runs", "search_cache")
"""What a household shares, parents first. Dialog turns and device state stay per device."""
TOKEN_COLUMNS = ("access_token", "refresh_token")


class TokenUnreadable(Exception):
    pass


def _recrypt(row: dict[str, Any], source: Cipher, target: Cipher) -> dict[str, Any]:
    for column in TOKEN_COLUMNS:
        plain = source.decrypt(row[column])
        if plain is None:
            raise TokenUnreadable(f"the stored {row.get('platform_name')} tokens cannot be read "
                                  "with this device's key")
        row[column] = target.encrypt(plain)
    return row


async def copy_shared(source: AsyncEngine, source_cipher: Cipher, target: AsyncEngine,
                      target_cipher: Cipher, *, replace: bool) -> dict[str, int]:
    """Copy the shared tables; ``replace`` empties them in the target first (else a row whose
    key is already there is left as it is). Returns the rows copied per table."""
    copied: dict[str, int] = {}
    tables: list[Table] = [Base.metadata.tables[name] for name in SHARED]
    async with target.begin() as out:
        if replace:
            for table in reversed(tables):
                await out.execute(delete(table))
        for table in tables:
            async with source.connect() as src:
                rows = [dict(r._mapping) for r in await src.execute(select(table))]
            if table.name == "platform_accounts":
                rows = [_recrypt(r, source_cipher, target_cipher) for r in rows]
            if not rows:
                copied[table.name] = 0
                continue
            if out.dialect.name == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                await out.execute(pg_insert(table).on_conflict_do_nothing(), rows)
            else:
                await out.execute(insert(table).prefix_with("OR IGNORE"), rows)
            copied[table.name] = len(rows)
            if out.dialect.name == "postgresql" and "id" in table.c \
                    and table.c.id.autoincrement is True:
                await out.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))
    return copied
