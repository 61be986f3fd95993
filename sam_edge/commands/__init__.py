"""The ``sam-edge`` subcommands, one module per group."""
