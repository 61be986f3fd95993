"""Alembic environment: runs on the synchronous connection handed over by ``db.migrate``."""

from __future__ import annotations

from alembic import context

from sam_edge.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
