"""Database engine behaviour that the rest of the registry relies on.

Publications form one registry-wide hash chain, so they are serialized: on
PostgreSQL with a transaction-scoped advisory lock, on SQLite by taking the write
lock when the transaction begins (BEGIN IMMEDIATE) and waiting for it rather than
failing with "database is locked".
"""
from contextlib import contextmanager
from datetime import datetime, timezone

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db

SQLITE_BUSY_TIMEOUT_S = 60
# Any constant will do; it names "the publication chain" among advisory locks.
PUBLISH_LOCK_KEY = 0x5245_4749  # "REGI"


def engine_options(uri: str) -> dict:
    """Engine options for the configured database URI."""
    if uri.startswith("sqlite"):
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}}
    return {"pool_pre_ping": True}


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # SQLAlchemy, not the driver, decides when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    if conn.dialect.name == "sqlite":
        immediate = conn.get_execution_options().get("registry_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction():
    """One serialized read-write transaction, committed on success, rolled back on error."""
    session = db.session()
    if session.in_transaction():
        session.commit()  # end the request's read transaction; the lock is taken at BEGIN
    connection = session.connection(execution_options={"registry_write": True})
    if connection.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK_KEY})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def read_snapshot():
    """A read-only transaction that sees one consistent state of the registry."""
    session = db.session()
    if session.in_transaction():
        session.commit()
    connection = session.connection(
        execution_options={"isolation_level": "REPEATABLE READ"}
        if db.engine.dialect.name == "postgresql"
        else {}
    )
    try:
        yield connection
    finally:
        session.rollback()


@contextmanager
def single_read():
    """A connection for one read statement, outside the request's session.

    On PostgreSQL it runs in autocommit: one statement is consistent by itself, and
    the BEGIN and ROLLBACK round trips would cost more than the statement.
    """
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def utcnow() -> datetime:
    """Now, in UTC, as a naive datetime to whole seconds (what the registry stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def rfc3339(moment: datetime) -> str:
    """A stored UTC datetime as RFC 3339 text, e.g. 2026-03-01T09:30:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
