"""Database tests."""
