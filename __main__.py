"""``python -m orderhub``."""

from orderhub.cli import main

main(prog_name="orderhub")
