"""Staff accounts: argon2 password hashes, one role each, disabled rather than deleted.

``orderhub users ...`` and the console's login both go through :class:`UserStore`; a disabled
user's sessions end at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from ..errors import NotFound, OrderhubError
from .permissions import check_role
from .schema import sessions, users

_hasher = PasswordHasher()
MIN_PASSWORD = 8


class UserError(OrderhubError):
    """A user that cannot be created or changed as asked (exit code 1)."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    disabled: bool
    created_at: datetime


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    return password


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, role: str, password: str) -> User:
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise UserError(f"not a user name: {name!r} (no spaces, at most 64 characters)")
        try:
            check_role(role)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        now = datetime.now(UTC)
        digest = _hasher.hash(_check_password(password))
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                raise UserError(f"user {name!r} exists already")
            conn.execute(insert(users).values(name=name, role=role, password_hash=digest,
                                              disabled=False, created_at=now, updated_at=now))
        return User(name, role, False, now)

    def get(self, name: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise NotFound(f"no user {name!r}")
        return User(row.name, row.role, bool(row.disabled), row.created_at)

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(users).order_by(users.c.name)).all()
        return [User(r.name, r.role, bool(r.disabled), r.created_at) for r in rows]

    def _set(self, name: str, **values: object) -> None:
        values["updated_at"] = datetime.now(UTC)
        with self.engine.begin() as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"no user {name!r}")
            if values.get("disabled") or "password_hash" in values:
                conn.execute(delete(sessions).where(sessions.c.user_name == name))

    def set_role(self, name: str, role: str) -> None:
        try:
            check_role(role)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        self._set(name, role=role)

    def set_password(self, name: str, password: str) -> None:
        self._set(name, password_hash=_hasher.hash(_check_password(password)))

    def disable(self, name: str, disabled: bool = True) -> None:
        self._set(name, disabled=disabled)

    def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right and the account enabled, else None.

        An unknown name costs one hash too, so response times do not tell names apart.
        """
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        digest = row.password_hash if row is not None else _DUMMY
        try:
            _hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        if _hasher.check_needs_rehash(digest):
            self._set(name, password_hash=_hasher.hash(password))
        return User(row.name, row.role, False, row.created_at)


_DUMMY = _hasher.hash("not a real password, only here to spend the same time")
