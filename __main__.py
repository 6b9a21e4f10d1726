"""``python -m orderhub``."""

from orderhub.cli import main

if __name__ == "__main__":  # not when a worker process (multiprocessing's spawn) imports it
    main(prog_name="orderhub")
