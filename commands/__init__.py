"""CLI commands, one module per area; ``cli.COMMAND_MODULES`` lists them."""
