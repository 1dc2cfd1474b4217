"""Shared fixtures: an application on a fresh database, clients, accounts with tokens, Chromium.

The suite runs on SQLite by default. With REGISTRY_TEST_DATABASE=postgresql it
runs on the PostgreSQL server at REGISTRY_POSTGRES_URL instead, each test in a
database of its own. Every test database is a copy of one that the migrations
built once per session (a file copy on SQLite, CREATE DATABASE … TEMPLATE on
PostgreSQL): running the migrations for each test took most of the PostgreSQL
suite's time.
Tests that need something this machine may lack (PostgreSQL, Chromium) skip
without it, unless REGISTRY_REQUIRE_ALL=1 (set by .ci/run) turns the skip into a
failure (tests/helpers/apps.py).
Functions and constants the tests share are in tests/helpers/.
"""
import os
import shutil
import sqlite3
import uuid

import pytest
import sqlalchemy as sa

from registry.db import dispose_engines

# The helpers assert as the tests do: their failures should read as clearly.
pytest.register_assert_rewrite("tests.helpers")

from .helpers import factories
from .helpers.apps import POSTGRES_URL, RUN_SLOW, make_app, need
from .helpers.browser import DESKTOP, WAIT_MS, chromium


def pytest_collection_modifyitems(config, items):
    """Slow tests (the load test) run in CI and on request (REGISTRY_RUN_SLOW=1), not in every local run."""
    if RUN_SLOW:
        return
    deselected = [item for item in items if item.get_closest_marker("slow")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]


def _postgres_reachable(url: str) -> bool:
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


class PostgresDatabases:
    """Creates throw-away databases on the PostgreSQL server, and drops them at the end."""

    def __init__(self, url: str):
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.base = sa.engine.make_url(url)
        self.created = []
        self.migrated = None  # the database every new one copies

    def new(self) -> str:
        """A new database with the newest schema and nothing in it."""
        if self.migrated is None:
            self.migrated = self._create()
            dispose_engines(make_app(self._url(self.migrated)))  # no connection may stay: it is a template
        return self._url(self._create(template=self.migrated))

    def _create(self, template: str | None = None) -> str:
        name = f"registry_test_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.created.append(name)
        return name

    def _url(self, name: str) -> str:
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self):
        with self.admin.connect() as connection:
            for name in self.created:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres():
    """A factory of fresh PostgreSQL databases; skips where there is no server."""
    if not _postgres_reachable(POSTGRES_URL):
        need(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(autouse=True)
def own_exports(tmp_path_factory, monkeypatch):
    """Each test's exports kept in a folder of its own rather than the instance folder's, which the suites
    running side by side in CI would share (their states could be pruned by each other)."""
    if not os.environ.get("REGISTRY_EXPORTS_DIR"):
        monkeypatch.setenv("REGISTRY_EXPORTS_DIR", str(tmp_path_factory.mktemp("exports")))


@pytest.fixture(scope="session")
def backend():
    """Which database the suite runs on: 'sqlite' or 'postgresql'."""
    return "postgresql" if os.environ.get("REGISTRY_TEST_DATABASE") == "postgresql" else "sqlite"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite file with the newest schema and nothing in it, made once: each test's database copies it."""
    path = tmp_path_factory.mktemp("migrated") / "registry.sqlite"
    dispose_engines(make_app(f"sqlite:///{path}"))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
    connection.close()
    return path


@pytest.fixture
def database_url(backend, tmp_path, request):
    """A new database with the newest schema and nothing in it."""
    if backend == "postgresql":
        return request.getfixturevalue("postgres").new()
    path = tmp_path / "registry.sqlite"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    dispose_engines(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An application context, for calling services directly."""
    with app.app_context():
        yield


@pytest.fixture
def authority(app):
    """Make an authority account for a country, with a token: authority("FR") -> Authorization header."""
    return factories.AuthorityFactory(app)


@pytest.fixture
def secretariat(authority):
    """An Authorization header that may publish for any country."""
    return authority(secretariat=True)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for a test file; skips (fails in CI) where it is not installed."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A fresh desktop page in English, waiting at most WAIT_MS for anything."""
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A writable copy of data/ that the reference loaders read instead of the real one."""
    from registry import reference

    copy = tmp_path / "data"
    shutil.copytree(reference.DATA_DIR, copy)
    loaders = (reference._substance_file, reference._amount_file, reference._schengen, reference._schedule_iii_file,
               reference._countries, reference._product_file)
    for loader in loaders:
        loader.cache_clear()
    monkeypatch.setattr(reference, "DATA_DIR", copy)
    yield copy
    monkeypatch.undo()
    for loader in loaders:
        loader.cache_clear()


@pytest.fixture
def served_demo(app):
    """The registry with its demonstration data and a French officer (helpers.pages.OFFICER), served by waitress
    on a free port: its base URL."""
    from registry import accounts
    from registry.cli import demo

    from .helpers.browser import served
    from .helpers.console import PASSWORD
    from .helpers.pages import OFFICER

    with app.app_context():
        demo.load()
        accounts.add_account(OFFICER, country="FR", secretariat=False, password=PASSWORD, admin=True)
    with served(app) as url:
        yield url
