"""Action routing and verification tests."""
