"""``orderhub web``: serve the staff console."""

from __future__ import annotations

import click

from ..cli import App, pass_app
from ._output import note


@click.command("web")
@click.option("--host", help="Address to listen on (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: web.port, 8350).")
@pass_app
def web_command(app: App, host: str | None, port: int | None) -> None:
    """Serve the staff console (orders, rules, flows, finance, service) over HTTP.

    \b
    Examples (create the first account, then open the URL printed here):
      orderhub users add admin --role admin
      orderhub web --port 8350

    Put it behind an https proxy (X-Forwarded-Proto) for anything but loopback: cookies are
    then marked Secure (web.secure_cookies in orderhub.yaml).
    """
    from ..web.server import serve

    ws = app.workspace
    cfg = ws.config.web
    host, port = host or cfg.host, port or cfg.port
    app.store  # noqa: B018 - open (and migrate) the database before saying we listen
    note(f"orderhub console on http://{host}:{port}/  (Ctrl-C stops)")
    serve(ws, host, port)


COMMANDS = [web_command]
