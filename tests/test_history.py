"""The read model's current state: kept beside the history by the publishing service, restore and the
migration, and read without scanning every version."""
import re
from datetime import datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, func, select

from registry import history, publishing
from registry.db import db, dispose_engines
from registry.models import CurrentSection, Version

from .helpers import factories
from .helpers.apps import make_app
from .helpers.exports import FEB_1, JAN_10, JAN_20, Publisher


@pytest.fixture
def publisher(app):
    return Publisher(app)


@pytest.fixture
def published(publisher):
    """FR requirements v1 to v3 (v2 withdraws), FR authorities v1, DE import-bans v1 and v2."""
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=30), JAN_10)
    publisher.publish("DE", "import-bans", factories.import_bans(), JAN_10 + timedelta(hours=1))
    publisher.publish("FR", "requirements", None, JAN_20)
    publisher.publish("FR", "authorities", factories.authorities(), JAN_20 + timedelta(hours=1))
    publisher.publish("DE", "import-bans", factories.import_bans(), FEB_1)
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60), FEB_1 + timedelta(hours=1))
    return publisher


def newest_by_scanning(until_seq: int | None = None) -> dict[tuple[str, str], int]:
    """Each section's newest version (as of a seq), found the slow way: from every version."""
    query = select(Version.country, Version.section, func.max(Version.seq))
    if until_seq is not None:
        query = query.where(Version.seq <= until_seq)
    return {(country, section): seq for country, section, seq in db.session.execute(query.group_by(Version.country, Version.section))}


def current_entries() -> dict[tuple[str, str], int]:
    return {(entry.country, entry.section): entry.seq for entry in db.session.scalars(select(CurrentSection))}


def test_each_publication_and_withdrawal_moves_its_section_s_current_entry(app, published):
    with app.app_context():
        assert current_entries() == newest_by_scanning() == {("FR", "requirements"): 6, ("DE", "import-bans"): 5,
                                                             ("FR", "authorities"): 4}
        assert {key: row.seq for key, row in history.current_versions().items()} == current_entries()


@pytest.mark.parametrize("until_seq", range(0, 7))
def test_the_current_versions_as_of_a_seq_are_those_the_history_had_then(app, published, until_seq):
    with app.app_context():
        found = history.current_versions(until_seq=until_seq)
        assert {key: row.seq for key, row in found.items()} == newest_by_scanning(until_seq)


def test_the_current_versions_narrow_to_a_country_a_section_or_countries(app, published):
    with app.app_context():
        assert list(history.current_versions(country="FR")) == [("FR", "authorities"), ("FR", "requirements")]
        assert list(history.current_versions(section="import-bans")) == [("DE", "import-bans")]
        assert list(history.current_versions(countries=["DE", "JP"])) == [("DE", "import-bans")]
        assert {key: row.seq for key, row in history.current_versions(country="FR", until_seq=3).items()} == {("FR", "requirements"): 3}


def test_a_refused_publication_leaves_the_current_entry_as_it_was(app, published, publisher):
    with app.app_context():
        before = current_entries()
        actor = publishing.Actor(db.session.get(publishing.Account, publisher.account_id))
        with pytest.raises(publishing.StalePrecondition):
            publishing.publish(actor, "FR", "requirements", factories.requirements(), publishing.Precondition(if_match=frozenset(["stale"])))
        assert current_entries() == before


def test_restore_fills_the_current_entries_from_the_history_it_restores(app, published, tmp_path):
    with app.app_context():
        versions = [history.resource(row) for row in history.all_versions()]
    restored = make_app(f"sqlite:///{tmp_path / 'restored.sqlite'}")
    try:
        with restored.app_context():
            publishing.restore(versions)
            assert current_entries() == newest_by_scanning() == {("FR", "requirements"): 6, ("DE", "import-bans"): 5,
                                                                 ("FR", "authorities"): 4}
    finally:
        dispose_engines(restored)


def test_the_migration_fills_the_current_entries_from_the_history_already_published(app, published):
    with app.app_context():
        downgrade(revision="0007")
        upgrade()
        assert current_entries() == newest_by_scanning()


def test_the_head_as_of_a_moment_is_the_newest_version_published_by_then(app, published):
    with app.app_context():
        assert history.head(until=JAN_10 - timedelta(seconds=1)) is None
        assert history.head(until=JAN_20).seq == 3
        assert history.head(until=FEB_1).seq == 5
        assert history.head(until=datetime(2030, 1, 1)).seq == history.head().seq == 6


def test_a_page_of_a_section_s_history_is_found_by_its_version_numbers(app, published):
    with app.app_context():
        assert [row.version for row in history.versions_before("FR", "requirements", 4, 2)] == [3, 2]
        assert [row.version for row in history.versions_before("FR", "requirements", 2, 2)] == [1]
        assert history.versions_before("JP", "requirements", 10, 2) == []


SCANS = re.compile(r"\bSCAN (versions|version_substances)\b")


def query_plans(app, read) -> list[list[str]]:
    """How SQLite plans each query `read()` makes: EXPLAIN QUERY PLAN's steps, one list per query."""
    with app.app_context():
        statements = []
        record = lambda connection, cursor, statement, parameters, context, many: statements.append((statement, parameters))
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            read()
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        connection = db.engine.raw_connection()
        try:
            return [[row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + statement, parameters)]
                    for statement, parameters in statements if statement.lstrip().upper().startswith("SELECT")]
        finally:
            connection.close()


CURRENT_STATE_READS = {
    "every country": lambda: history.country_states(),
    "one country": lambda: history.country_states(country="FR"),
    "as of a seq": lambda: history.current_versions(until_seq=3),
    "one section as of a seq": lambda: history.current_versions(section="import-bans", until_seq=3),
    "bans in force": lambda: history.active_bans(),
    "head as of a moment": lambda: history.head(until=JAN_20),
    "a page of a section's history": lambda: history.versions_before("FR", "requirements", 3, 10),
}


@pytest.mark.parametrize("read", CURRENT_STATE_READS, ids=list(CURRENT_STATE_READS))
def test_the_current_state_is_read_without_scanning_the_versions(app, published, backend, read):
    """Every query, as SQLite plans it, looks versions up by index: none reads them all."""
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    plans = query_plans(app, CURRENT_STATE_READS[read])
    assert plans
    assert [plan for plan in plans if any(SCANS.search(step) for step in plan)] == []


def test_the_head_as_of_a_moment_is_one_step_down_the_index_not_a_sort_of_what_came_before(app, published, backend):
    if backend != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    [plan] = query_plans(app, lambda: history.head(until=JAN_20))
    assert plan == ["SEARCH versions USING INDEX ix_versions_published_at (published_at<?)"]
