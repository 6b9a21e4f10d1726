"""Shop authorization through the simulator's OAuth pages, tokens stored encrypted, refreshed
tokens persisted across restarts.  Real HTTP: the simulator, and the command's own callback."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from orderhub.cli import main
from orderhub.config import Workspace
from orderhub.connectors.oauth import OAuthError, authorize
from orderhub.connectors.pull import make_client, pull_shop, token_vault
from orderhub.connectors.tokens import KEY_ENV, TokenKeyError, TokenVault, shop_tokens
from orderhub.simulator import Simulator

PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=4, orders=30, history_hours=1) as s:
        yield s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workspace(tmp_path: Path, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """Shops with their app secrets in the environment but no token variables at all."""
    monkeypatch.delenv(KEY_ENV, raising=False)
    env: dict[str, str] = {}
    lines = ["timezone: Asia/Shanghai", "shops:"]
    for shop in sim.shops(env):
        lines += [f"  - name: {shop.name}", f"    platform: {shop.platform}",
                  f'    shop_id: "{shop.shop_id}"', f"    app_key: {shop.app_key}",
                  f"    secret_env: {shop.secret_env}", f"    base_url: {shop.base_url}",
                  f"    oauth_url: {shop.oauth_url}", "    window: {initial_hours: 2}"]
    for key, value in env.items():
        if key.endswith("_SECRET"):
            monkeypatch.setenv(key, value)
    (tmp_path / "orderhub.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Workspace.load(tmp_path)


def _consent(url: str) -> None:
    """The seller's browser: open the authorize page, follow the redirect to the callback."""
    def visit() -> None:
        httpx.get(url, follow_redirects=True, timeout=10)
    threading.Thread(target=visit, daemon=True).start()


def _shop(ws: Workspace, platform: str) -> Any:
    return next(s for s in ws.config.shops if s.platform == platform)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_authorized_shop_pulls_with_its_stored_token_and_keeps_refreshed_ones(
        sim: Simulator, platform: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    shop = _shop(ws, platform)
    vault = token_vault(ws.store, ws.root, create_key=True)
    assert vault is not None
    client = make_client(shop)
    grant = authorize(client, redirect_uri=f"http://127.0.0.1:{_free_port()}/callback",
                      timeout=20, show=_consent)
    client.close()
    vault.put(shop.name, platform, grant.access_token, grant.refresh_token, grant.expires_at)
    assert grant.access_token in sim.gateways[platform].tokens
    key_file = tmp_path / ".orderhub" / "token.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    first = pull_shop(ws, shop.name)
    assert first.new > 0 and first.requests > 0  # pulled with no token in the environment

    sim.set_faults(expire_token=[platform])
    pull_shop(ws, shop.name, since=None)
    refreshed = vault.get(shop.name)
    assert refreshed is not None and refreshed.access_token != grant.access_token
    assert refreshed.access_token in sim.gateways[platform].tokens

    # a restart: a new workspace object, new clients, only what the database and key file hold
    again = Workspace.load(tmp_path)
    before = len([e for e in sim.calls(platform) if e["error"] == "token"])
    pull_shop(again, shop.name)
    assert len([e for e in sim.calls(platform) if e["error"] == "token"]) == before


def test_stored_tokens_are_unreadable_without_the_key(
        sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    vault = token_vault(ws.store, ws.root, create_key=True)
    assert vault is not None
    vault.put("sim-pdd", "pdd", "plain-access-token-123", "plain-refresh-456")
    with ws.store.engine.connect() as conn:
        row = conn.execute(select(shop_tokens)).one()
    assert "plain-access" not in json.dumps([str(v) for v in row])
    assert "plain-refresh" not in json.dumps([str(v) for v in row])
    stranger = TokenVault(ws.store.engine, Fernet(Fernet.generate_key()))
    with pytest.raises(TokenKeyError, match="authorize the shops again"):
        stranger.get("sim-pdd")
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(TokenKeyError, match="not a Fernet key"):
        token_vault(ws.store, ws.root)


def test_authorize_command_and_shops_list(sim: Simulator, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _workspace(tmp_path, sim, monkeypatch)
    opened: list[str] = []

    def browser(url: str) -> bool:
        opened.append(url)
        _consent(url)
        return True

    monkeypatch.setattr("webbrowser.open", browser)
    port = _free_port()
    out = CliRunner().invoke(main, ["-w", str(tmp_path), "shops", "authorize", "sim-douyin",
                                    "--redirect-uri", f"http://127.0.0.1:{port}/cb",
                                    "--timeout", "20"])
    assert out.exit_code == 0, out.output
    assert opened and "state=" in opened[0] and opened[0] in out.stdout
    listed = CliRunner().invoke(main, ["-w", str(tmp_path), "shops", "list", "--format", "json"])
    rows = {r["shop"]: r for r in json.loads(listed.stdout)}
    assert rows["sim-douyin"]["token"] == "stored" and rows["sim-douyin"]["expires_at"]
    assert rows["sim-taobao"]["token"] == "none"


def test_a_forged_state_is_refused(sim: Simulator, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, monkeypatch)
    client = make_client(_shop(ws, "taobao"))

    def forged(url: str) -> None:
        _consent(url.replace("state=", "state=forged"))

    with pytest.raises(OAuthError, match="state does not match"):
        authorize(client, redirect_uri=f"http://127.0.0.1:{_free_port()}/callback",
                  timeout=20, show=forged)
    client.close()
    assert os.environ.get(KEY_ENV) is None
