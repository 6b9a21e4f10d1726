"""Server-side sessions and login throttling, both in the database (so several console
processes on one PostgreSQL share them).

The cookie holds a random token; the table holds its SHA-256.  A session ends at logout, after
``session_hours`` from login, or after ``idle_minutes`` without a request.  After
``login_max_failures`` wrong passwords for one user name within ``login_window_minutes``, logins
for that name are refused (without checking the password) until the window has moved on.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select, update

from .config import WebConfig
from .schema import login_failures, sessions, users


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    user: str
    role: str
    expires_at: datetime


class SessionStore:
    def __init__(self, engine: Engine, config: WebConfig) -> None:
        self.engine = engine
        self.config = config

    def create(self, user: str, now: datetime | None = None) -> str:
        """A new session for ``user``; returns the cookie value."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < now))
            conn.execute(insert(sessions).values(
                id_hash=_hash(token), user_name=user, created_at=now, last_seen=now,
                expires_at=now + timedelta(hours=self.config.session_hours)))
        return token

    def get(self, token: str | None, now: datetime | None = None) -> Session | None:
        """The live session for a cookie value (and touch it), or None."""
        if not token:
            return None
        now = now or datetime.now(UTC)
        key = _hash(token)
        query = (select(sessions.c.user_name, sessions.c.expires_at, sessions.c.last_seen,
                        users.c.role, users.c.disabled)
                 .join(users, users.c.name == sessions.c.user_name)
                 .where(sessions.c.id_hash == key))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.disabled:
            return None
        idle = timedelta(minutes=self.config.idle_minutes)
        if row.expires_at <= now or row.last_seen + idle <= now:
            self.end(token)
            return None
        if now - row.last_seen > timedelta(seconds=30):  # a write per request is wasteful
            with self.engine.begin() as conn:
                conn.execute(update(sessions).where(sessions.c.id_hash == key)
                             .values(last_seen=now))
        return Session(row.user_name, row.role, row.expires_at)

    def end(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.id_hash == _hash(token)))


class Throttle:
    """Counts wrong passwords per user name; see the module docstring."""

    def __init__(self, engine: Engine, config: WebConfig) -> None:
        self.engine = engine
        self.config = config

    def _window(self) -> timedelta:
        return timedelta(minutes=self.config.login_window_minutes)

    def blocked_for(self, user: str, now: datetime | None = None) -> timedelta | None:
        """How long logins for ``user`` stay refused, or None when they are allowed."""
        now = now or datetime.now(UTC)
        query = (select(func.count(), func.max(login_failures.c.at))
                 .where(login_failures.c.user_name == user,
                        login_failures.c.at > now - self._window()))
        with self.engine.connect() as conn:
            count, last = conn.execute(query).one()
        if count < self.config.login_max_failures or last is None:
            return None
        return last + self._window() - now

    def failed(self, user: str, client: str | None, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.at < now - self._window()))
            conn.execute(insert(login_failures).values(user_name=user[:64], client=client,
                                                       at=now))

    def succeeded(self, user: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(login_failures).where(login_failures.c.user_name == user))
