"""Search cache: normalization, diskcache hot tier, SQLite tier, layered lookup."""
