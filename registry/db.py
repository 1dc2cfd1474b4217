"""The database: the SQLAlchemy object, and the engine behaviour the rest of the registry relies on.

Publications form one registry-wide hash chain, so they are serialized: on
PostgreSQL with a transaction-scoped advisory lock, on SQLite by taking the write
lock when the transaction begins (BEGIN IMMEDIATE) and waiting for it rather than
failing with "database is locked".
"""
import threading
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

# Named constraints keep migrations portable between SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))

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


def analyse() -> None:
    """Give the query planner statistics for every table, as after a bulk load (`registry restore`).

    Without them PostgreSQL plans a freshly loaded history as if its tables were
    empty, and without the visibility map that VACUUM builds it reads the current
    versions from the table's pages instead of from the index alone: tens of
    milliseconds where it takes one (docs/performance.md, "Traveller check").
    Autovacuum would get there, minutes later.
    """
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)")  # not inside a transaction
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def utcnow() -> datetime:
    """Now, in UTC, as a naive datetime to whole seconds (what the registry stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def rfc3339(moment: datetime) -> str:
    """A stored UTC datetime as RFC 3339 text, e.g. 2026-03-01T09:30:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class DirectReads:
    """Single-row SELECTs run on a DB-API connection each thread keeps, without SQLAlchemy's Connection.

    For the answers given before Flask (registry/feeds/polls.py, registry/api/memory.py,
    registry/check/notifications.py), each proven current by one indexed query.
    SQLAlchemy's Connection, transaction and result layers cost about 0.25 ms a
    statement on the benchmark machine (docs/performance.md), several times the
    statement itself; the statements are still SQLAlchemy's, compiled once for the
    engine's dialect.

    The connections come from an engine of their own, without a pool, so that the
    application's pool stays whole for its sessions: on PostgreSQL in autocommit (one statement reads one
    consistent state by itself) and without the pre-ping of the application's engine,
    which would double the round trips of every read; on SQLite, whose driver commits
    each statement by itself here (_on_connect), with the same settings. Each thread keeps
    the connection it made, as a pool's checkout and reset on return cost twice the
    statement; a thread that ended leaves its connection to be closed by the next
    thread that connects, and `dispose` closes them all. (An in-memory SQLite
    database lives in its one connection, so for one of those the application's
    engine lends a connection to each statement instead.)

    Disconnects are handled the optimistic way: a statement that fails closes the
    thread's connection, tells every other thread to connect anew, and raises
    DirectReads.Failed, so that the caller lets the ordinary request path answer —
    and that path's engine pings, so the request still succeeds after a database
    restart.
    """

    class Failed(Exception):
        pass

    def __init__(self, engine: Engine):
        url = engine.url
        in_memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
        self.kept = engine.dialect.name != "sqlite" or not in_memory
        if not self.kept:
            self.engine = engine
        elif engine.dialect.name == "postgresql":
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        else:
            self.engine = create_engine(url, poolclass=NullPool, **engine_options(url.render_as_string(False)))
        self._compiled: dict[int, tuple] = {}
        self._mine = threading.local()  # this thread's (generation, DB-API connection, pool's wrapper of it)
        self._held: list[tuple[threading.Thread, Any]] = []  # every thread's connection, to close
        self._generation = 0  # moved on by a failed statement: every thread connects anew
        self._lock = threading.Lock()
        weakref.finalize(self, _close_all, self._held)

    def _compile(self, statement) -> tuple:
        compiled = self._compiled.get(id(statement))
        if compiled is None:
            form = statement.compile(dialect=self.engine.dialect)
            # The statement itself is kept too, so that its id is never reused for another; the
            # parameters without a default (_check=False) are given by each call.
            compiled = (form.string, form.positiontup if form.positional else None, form.construct_params(_check=False), statement)
            self._compiled[id(statement)] = compiled
        return compiled

    def _connection(self):
        """This thread's connection, made when it has none or when a failure since asked for new ones."""
        mine = getattr(self._mine, "held", None)
        if mine is not None and mine[0] == self._generation:
            return mine[1]
        if mine is not None:
            self._forget()
        try:
            connection = self.engine.raw_connection()
        except Exception as error:  # no connection could be made
            raise DirectReads.Failed(str(error)) from error
        self._mine.held = (self._generation, connection.dbapi_connection, connection)
        with self._lock:
            ended = [entry for entry in self._held if not entry[0].is_alive()]
            self._held[:] = [entry for entry in self._held if entry[0].is_alive()]
            self._held.append((threading.current_thread(), connection))
        _close_all(ended)
        return connection.dbapi_connection

    def _forget(self) -> None:
        """Close this thread's connection."""
        mine, self._mine.held = getattr(self._mine, "held", None), None
        if mine is None:
            return
        with self._lock:
            self._held[:] = [entry for entry in self._held if entry[1] is not mine[2]]
        _close_all([(None, mine[2])])

    def first(self, statement, values: dict | None = None) -> tuple | None:
        """The first row of `statement` with its bind parameters set from `values`, as a plain tuple; or None."""
        sql, positions, defaults, _ = self._compile(statement)
        parameters = {**defaults, **values} if values else defaults
        if positions is not None:
            parameters = tuple(parameters[name] for name in positions)
        if not self.kept:
            return self._lent(sql, parameters)
        connection = self._connection()
        try:
            return _first_row(connection, sql, parameters)
        except Exception as error:
            self._generation += 1  # the others are likely as dead: every thread connects anew
            self._forget()
            raise DirectReads.Failed(str(error)) from error

    def _lent(self, sql: str, parameters) -> tuple | None:
        """The first row, on a connection the application's engine lends for the statement."""
        try:
            connection = self.engine.raw_connection()
        except Exception as error:
            raise DirectReads.Failed(str(error)) from error
        try:
            return _first_row(connection, sql, parameters)
        except Exception as error:
            connection.invalidate(error)
            raise DirectReads.Failed(str(error)) from error
        finally:
            connection.close()

    def dispose(self) -> None:
        """Close every connection the threads keep (a thread that reads afterwards connects anew)."""
        if not self.kept:
            return
        with self._lock:
            held, self._held[:] = list(self._held), []
            self._generation += 1
        _close_all(held)


def _first_row(connection, sql: str, parameters) -> tuple | None:
    cursor = connection.cursor()
    cursor.execute(sql, parameters)
    row = cursor.fetchone()
    cursor.close()
    return tuple(row) if row is not None else None


def _close_all(held) -> None:
    for _, connection in held:
        try:
            connection.close()
        except Exception:  # a connection already broken is closed enough  # nosec B110
            pass


def direct_reads(app) -> DirectReads:
    """The application's DirectReads, made on first use."""
    reads = app.extensions.get("direct_reads")
    if reads is None:
        with app.app_context():
            reads = app.extensions["direct_reads"] = DirectReads(db.engine)
    return reads


def dispose_engines(app) -> None:
    """Close every pooled connection the application holds: its session's, its engine's and its direct reads'."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if "direct_reads" in app.extensions:
        app.extensions["direct_reads"].dispose()
