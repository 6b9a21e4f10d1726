"""Opening the database: SQLite by default, PostgreSQL by URL, schema brought up to date.

The schema is managed by Alembic; :func:`connect` applies pending migrations on first use, under
a PostgreSQL advisory lock so that several processes starting at once do not race.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from ..errors import StoreError

_MIGRATION_LOCK_ID = 0x6F726468  # 'ordh'
_upgraded: set[str] = set()
_upgrade_lock = threading.Lock()


#: The URL schemes orderhub stores orders in (the part before ``://``).
SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgres", "postgresql+psycopg")
# a scheme typed without its "://" (``postgresql//host/db``, ``sqlite:/x.db``): a typo, not a path
_MANGLED = re.compile(r"^(sqlite|postgres(?:ql)?|mysql|mariadb|oracle|mssql)(?:\+\w+)?"
                      r"(?::/{0,2}|/+)(?!/)", re.IGNORECASE)


class DatabaseURLError(StoreError):
    """A ``--db`` value that is no database URL orderhub can use: a usage error (exit 2)."""

    exit_code = 2


def check_url(url: str) -> str:
    """``url`` if orderhub can use it; else :class:`DatabaseURLError` saying what to write.

    Catches the typos that used to create stray files: a scheme without ``://`` and a database
    orderhub does not support (whose driver is not even installed)."""
    examples = "sqlite:///path/orderhub.db or postgresql://user@host:5432/db"
    if "://" in url:
        scheme = url.split("://", 1)[0].lower()
        if scheme not in SCHEMES:
            raise DatabaseURLError(f"unsupported database {scheme!r} in {redact(url)}: orderhub "
                                   f"stores orders in SQLite or PostgreSQL ({examples})")
        return url
    mangled = _MANGLED.match(url)
    if mangled:
        scheme = mangled.group(1).lower()
        fixed = f"{scheme}:{'///' if scheme == 'sqlite' else '//'}{url[mangled.end():]}"
        raise DatabaseURLError(f"malformed database URL {url!r}: did you mean {fixed!r}? "
                               f"({examples})")
    return url


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names (None for PostgreSQL and in-memory SQLite)."""
    url = normalize_url(url)
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[-1] if ":///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def normalize_url(url: str) -> str:
    """Accept the URLs people paste: a bare path, ``postgresql://``, ``postgres://``."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def redact(url: str) -> str:
    """The URL with any password replaced, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparseable URL is shown as given
        return url


def create(url: str, **kwargs: Any) -> Engine:
    """A SQLAlchemy engine for ``url``, tuned per backend (WAL and busy timeout on SQLite)."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself so that writers take the lock up front (see below).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # A deferred transaction that later writes can fail with "database is locked" without
    # waiting; BEGIN IMMEDIATE waits for the busy timeout instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def connect(url: str, *, upgrade: bool = True) -> Engine:
    """Open ``url`` and make sure its schema is current.  Raises :class:`StoreError`."""
    engine = create(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise StoreError(
            f"cannot open the database {redact(engine.url.render_as_string())}: "
            f"{exc.orig or exc}"
        ) from exc
    if upgrade:
        upgrade_schema(engine)
    return engine


def upgrade_schema(engine: Engine, *, force: bool = False) -> list[str]:
    """Apply pending Alembic migrations; returns the revisions now current."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    key = engine.url.render_as_string(hide_password=False)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    with _upgrade_lock:
        if key in _upgraded and not force:
            return sorted(heads)
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_ID})
            current = set(MigrationContext.configure(conn).get_current_heads())
            if current != heads:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "heads")
        _upgraded.add(key)
    return sorted(heads)


def current_revisions(engine: Engine) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())
