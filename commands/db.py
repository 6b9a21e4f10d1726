"""``orderhub db``: the database schema."""

from __future__ import annotations

import click

from ..cli import App, pass_app
from ..store import db
from ._output import note


@click.group("db")
def db_group() -> None:
    """Database schema management (Alembic migrations).

    \b
    Examples:
      orderhub db status
      orderhub db upgrade
    """


@db_group.command("upgrade")
@pass_app
def upgrade_command(app: App) -> None:
    """Create the database or apply pending schema migrations.

    Creates a SQLite file only for an explicit --db URL or inside a workspace (orderhub.yaml).

    \b
    Examples:
      orderhub db upgrade
      orderhub --db postgresql://orderhub@db.internal/orderhub db upgrade
    """
    ws = app.workspace
    if not (app.db_url or ws.is_workspace):
        ws.require_database()
    url = ws.db_url
    engine = db.connect(url, upgrade=False)
    heads = db.upgrade_schema(engine, force=True)
    note(f"{db.redact(url)}: schema at {', '.join(heads)}")


@db_group.command("status")
@pass_app
def status_command(app: App) -> None:
    """Show the database URL and its schema revision.

    \b
    Examples:
      orderhub db status
      orderhub --db postgresql://orderhub@db.internal/orderhub db status
    """
    app.workspace.require_database()
    url = app.workspace.db_url
    engine = db.connect(url, upgrade=False)
    click.echo(f"database: {db.redact(url)}")
    click.echo(f"revision: {', '.join(db.current_revisions(engine)) or '(empty)'}")


COMMANDS = [db_group]
