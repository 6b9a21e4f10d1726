"""Serving the console with uvicorn: in the foreground (``orderhub web``) or on a thread
beside the service (``orderhub run --web``)."""

from __future__ import annotations

import threading
from typing import Any

import uvicorn

from .app import create_app


def server(ws: Any, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(create_app(ws), host=host, port=port, log_level="warning",
                            proxy_headers=True, server_header=False)
    return uvicorn.Server(config)


def serve(ws: Any, host: str, port: int) -> None:
    server(ws, host, port).run()


def serve_in_thread(ws: Any, host: str, port: int) -> uvicorn.Server:
    """Start the console on a daemon thread; ``should_exit = True`` stops it."""
    srv = server(ws, host, port)
    threading.Thread(target=srv.run, name="orderhub-web", daemon=True).start()
    return srv
