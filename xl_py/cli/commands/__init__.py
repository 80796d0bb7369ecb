"""One module per subcommand; each exposes ``run(ctx, argv) -> int``."""
