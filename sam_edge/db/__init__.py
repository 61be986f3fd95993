"""The database: SQLAlchemy 2 async models over aiosqlite, and Alembic migrations."""
