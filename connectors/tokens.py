"""Shops' access and refresh tokens, stored encrypted at rest.

``orderhub shops authorize`` stores what the platform's OAuth exchange returned; a pull prefers
a stored token to the shop's ``token_env``, and a refreshed token is written back at once, so a
restart goes on with it.  Tokens are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the
``cryptography`` package): without the key the database holds nothing usable.

The key: ``ORDERHUB_TOKEN_KEY`` (a Fernet key: 32 url-safe base64 bytes) when set; otherwise the
key file ``.orderhub/token.key`` in the workspace, created (mode 0600) the first time a token is
stored.  Keep the key out of backups of the database; losing it means authorizing shops again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, Engine, String, Table, Text, delete, insert, select

from ..errors import OrderhubError
from ..store.schema import UTCDateTime, metadata

KEY_ENV = "ORDERHUB_TOKEN_KEY"
KEY_FILE = Path(".orderhub") / "token.key"

shop_tokens = Table(
    "shop_tokens",
    metadata,
    Column("shop", String(128), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text),
    Column("expires_at", UTCDateTime),
    Column("authorized_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


class TokenKeyError(OrderhubError):
    """The token key is missing, malformed, or not the one the tokens were stored with."""

    exit_code = 2


@dataclass(frozen=True)
class StoredToken:
    shop: str
    platform: str
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    authorized_at: datetime
    updated_at: datetime


def load_key(workspace_dir: Path | None, *, create: bool = False) -> Fernet | None:
    """The Fernet key from the environment or the workspace's key file (made when ``create``);
    None when there is none and none may be made."""
    text = os.environ.get(KEY_ENV)
    if not text and workspace_dir is not None:
        path = workspace_dir / KEY_FILE
        if path.exists():
            text = path.read_text("ascii").strip()
        elif create:
            text = Fernet.generate_key().decode("ascii")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(text + "\n")
    if not text:
        return None
    try:
        return Fernet(text.encode("ascii"))
    except (ValueError, TypeError):
        raise TokenKeyError(f"the token key ({KEY_ENV} or {KEY_FILE}) is not a Fernet key "
                            "(32 url-safe base64-encoded bytes)") from None


class TokenVault:
    """Encrypted tokens per shop on the store's engine."""

    def __init__(self, engine: Engine, key: Fernet) -> None:
        self.engine = engine
        self.key = key

    def put(self, shop: str, platform: str, access_token: str, refresh_token: str | None,
            expires_at: datetime | None = None, *, now: datetime | None = None) -> None:
        at = now or datetime.now(UTC)
        old = self.get(shop)
        row = {"shop": shop, "platform": platform,
               "access_token": self._seal(access_token),
               "refresh_token": self._seal(refresh_token) if refresh_token else None,
               "expires_at": expires_at,
               "authorized_at": old.authorized_at if old else at, "updated_at": at}
        with self.engine.begin() as conn:
            conn.execute(delete(shop_tokens).where(shop_tokens.c.shop == shop))
            conn.execute(insert(shop_tokens), [row])

    def refreshed(self, shop: str, platform: str, access_token: str) -> None:
        """A refreshed access token replaces the stored one; the refresh token stays."""
        old = self.get(shop)
        self.put(shop, platform, access_token, old.refresh_token if old else None)

    def get(self, shop: str) -> StoredToken | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(shop_tokens).where(shop_tokens.c.shop == shop)).first()
        if row is None:
            return None
        return StoredToken(
            shop=row.shop, platform=row.platform, access_token=self._open(row.access_token),
            refresh_token=self._open(row.refresh_token) if row.refresh_token else None,
            expires_at=row.expires_at, authorized_at=row.authorized_at,
            updated_at=row.updated_at)

    def all(self) -> dict[str, tuple[datetime | None, datetime]]:
        """Per shop: when its token expires, and when it was last stored (nothing decrypted)."""
        query = select(shop_tokens.c.shop, shop_tokens.c.expires_at, shop_tokens.c.updated_at)
        with self.engine.connect() as conn:
            return {r.shop: (r.expires_at, r.updated_at) for r in conn.execute(query)}

    def _seal(self, text: str) -> str:
        return self.key.encrypt(text.encode("utf-8")).decode("ascii")

    def _open(self, sealed: str) -> str:
        try:
            return self.key.decrypt(sealed.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenKeyError(
                f"stored tokens cannot be read with this key ({KEY_ENV} or {KEY_FILE}): "
                "the key changed since they were stored; authorize the shops again") from None
