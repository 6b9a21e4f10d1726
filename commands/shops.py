"""``orderhub shops authorize`` and ``orderhub shops list``."""

from __future__ import annotations

import webbrowser
from datetime import datetime
from typing import Any

import click

from ..cli import App, pass_app
from ..connectors.cursors import CursorStore
from ..connectors.oauth import DEFAULT_REDIRECT, authorize
from ..connectors.pull import make_client, token_vault
from ..connectors.shops import find_shop
from ._output import FORMAT_OPTION, echo_json, local, note, table


@click.group("shops")
def shops_group() -> None:
    """The shops in orderhub.yaml: authorize them, see their tokens and pulls.

    \b
    Examples:
      orderhub shops list
      orderhub shops authorize tmall-flagship
    """


@shops_group.command("authorize")
@click.argument("shop")
@click.option("--redirect-uri", default=DEFAULT_REDIRECT, show_default=True,
              help="The redirect URI registered for the app; a local port this command "
                   "listens on for the platform's answer.")
@click.option("--no-browser", is_flag=True, help="Only print the URL; open it yourself.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait.")
@pass_app
def authorize_command(app: App, shop: str, redirect_uri: str, no_browser: bool,
                      timeout: float) -> None:
    """Authorize SHOP on its platform and store its tokens, encrypted.

    Prints the platform's authorize page (and opens it in a browser): the seller logs in and
    consents, the platform sends a code back to the redirect URI, and the code is exchanged for
    an access token and a refresh token. They are stored encrypted with the key in
    ORDERHUB_TOKEN_KEY or .orderhub/token.key (made now if neither exists): pulls use them, and
    a refreshed token is stored again, so a restart goes on without re-authorizing.

    \b
    Examples:
      orderhub shops authorize tmall-flagship
      orderhub shops authorize pdd-main --no-browser --redirect-uri http://127.0.0.1:9000/cb
    """
    ws = app.workspace
    config = find_shop(ws.config.shops, shop)
    vault = token_vault(ws.store, ws.root, create_key=True)
    assert vault is not None  # create_key makes one

    def show(url: str) -> None:
        note(f"Open this page and consent as the seller of {config.name!r}:")
        click.echo(url)
        if not no_browser:
            webbrowser.open(url)

    client = make_client(config.model_copy(update={"token_env": None,
                                                   "refresh_token_env": None}))
    try:
        grant = authorize(client, redirect_uri=redirect_uri, timeout=timeout, show=show)
    finally:
        client.close()
    vault.put(config.name, config.platform, grant.access_token, grant.refresh_token,
              grant.expires_at)
    tz = ws.config.timezone
    expiry = f", expires {local(grant.expires_at, tz)}" if grant.expires_at else ""
    note(f"[green]authorized[/green] {config.name}: tokens stored encrypted{expiry}")


@shops_group.command("list")
@FORMAT_OPTION
@pass_app
def list_command(app: App, fmt: str) -> None:
    """Each shop: where its token comes from, when it expires, how far its pulls got.

    \b
    Examples:
      orderhub shops list
      orderhub shops list --format json
    """
    ws = app.workspace
    vault = token_vault(ws.store, ws.root)
    tokens = vault.all() if vault else {}
    cursors = CursorStore(ws.store.engine).all()
    rows = [_row(s, tokens, cursors) for s in ws.config.shops]
    tz = ws.config.timezone
    if fmt == "json":
        echo_json(rows)
        return
    table(f"{len(rows)} shop(s)", ["shop", "platform", "token", "expires", "orders pulled to",
                                   "after-sales to"],
          [[r["shop"], r["platform"], r["token"], local(r["expires_at"], tz),
            local(r["orders_position"], tz), local(r["aftersales_position"], tz)] for r in rows])


def _row(shop: Any, tokens: dict[str, tuple[datetime | None, datetime]],
         cursors: dict[str, tuple[str, datetime, datetime]]) -> dict[str, Any]:
    stored = tokens.get(shop.name)
    source = "stored" if stored else (f"${shop.token_env}" if shop.token_env else "none")
    orders = cursors.get(shop.name)
    after = cursors.get(f"{shop.name}#aftersales")
    return {"shop": shop.name, "platform": shop.platform, "token": source,
            "expires_at": stored[0] if stored else None,
            "orders_position": orders[1] if orders else None,
            "aftersales_position": after[1] if after else None}


COMMANDS = [shops_group]
