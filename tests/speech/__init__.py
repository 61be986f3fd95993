"""Speech tests."""
