"""SAM Edge tests."""
