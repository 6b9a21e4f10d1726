"""CLI commands, one module per area; ``cli.COMMANDS`` lists them."""
