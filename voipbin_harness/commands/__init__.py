"""One module per ``voipbin-harness`` subcommand, each with ``register(subparsers)``."""
