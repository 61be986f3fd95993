"""Tests for the search cache: normalization and the cache tiers."""
