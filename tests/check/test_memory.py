"""The check's snapshot of the current versions (registry/check/notifications.py): the same answers as reading
them with the ORM, brought up to date by whatever changed — in this process or another — and no ORM query
while nothing did."""
import json
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from registry import create_app, history
from registry.check import notifications
from registry.db import DirectReads, db, direct_reads, dispose_engines, utcnow
from registry.models import Account, Setting
from registry.workflow import reconfirmation

from ..helpers import ROOT, factories
from ..helpers.check_cases import item, trip
from ..helpers.exports import Publisher

FRANCE_TRIP = trip(item("morphine", 100), destination="FR", transit=["CH"], departure="DE")


@pytest.fixture
def publisher(app):
    return Publisher(app)


@pytest.fixture
def published(publisher):
    """France's three sections, Switzerland's requirements and Germany's authorities, published a month ago."""
    month_ago = utcnow() - timedelta(days=30)
    publisher.publish("FR", "requirements", factories.requirements(), month_ago)
    publisher.publish("FR", "authorities", factories.authorities(), month_ago)
    publisher.publish("FR", "import-bans", factories.import_bans(), month_ago)
    publisher.publish("CH", "requirements", factories.requirements(travellers_allowed="restricted"), month_ago)
    publisher.publish("DE", "authorities", factories.authorities(), month_ago)
    return publisher


def check(client, body=FRANCE_TRIP):
    answer = client.post("/api/v1/check", json=body)
    assert answer.status_code == 200, answer.json
    return answer.json


def versions_used(answer) -> dict:
    return {(entry["country"], entry["section"]): entry["version"] for country in answer["countries"] for entry in country["based_on"]}


def notices(answer) -> list[str]:
    return [notice["code"] for country in answer["countries"] for notice in country["notices"]]


def frozen_clock(monkeypatch, moment):
    monkeypatch.setattr(reconfirmation, "utcnow", lambda: moment)


def test_the_snapshot_holds_what_the_orm_reads_for_every_country(app, publisher, monkeypatch):
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=30), utcnow() - timedelta(days=400))
    with app.app_context():
        notifications.current()  # kept now, and brought up to date below
    publisher.publish("FR", "authorities", factories.authorities(), utcnow() - timedelta(days=30))
    publisher.publish("CH", "requirements", factories.requirements(), utcnow() - timedelta(days=20))
    publisher.publish("CH", "requirements", None, utcnow())  # withdrawn: kept, with no document
    publisher.publish("DE", "authorities", factories.authorities(), utcnow())
    publisher.confirm("DE", "authorities", utcnow() + timedelta(days=3))
    frozen_clock(monkeypatch, utcnow() + timedelta(days=4))
    codes = ("FR", "CH", "DE", "NZ")
    with app.app_context():
        kept = notifications.current()
        assert isinstance(kept, notifications.Snapshot)
        assert kept.documents(codes) == notifications.Unkept().documents(codes)
        found = kept.documents(codes)
    assert found["FR"]["requirements"].overdue and not found["FR"]["authorities"].overdue
    assert found["CH"]["requirements"].document is None and found["CH"]["requirements"].version == 2
    assert found["DE"]["authorities"].standing.confirmed_at > found["FR"]["authorities"].standing.confirmed_at
    assert "NZ" not in found


def test_a_warm_check_runs_one_direct_query_and_no_orm_statement(app, client, published, monkeypatch):
    check(client)  # the snapshot is made
    with app.app_context():
        engine = db.engine
    statements, direct = [], []
    record = lambda *arguments: statements.append(arguments[2])  # noqa: E731 (conn, cursor, statement, …)
    sa.event.listen(engine, "before_cursor_execute", record)
    first = DirectReads.first
    monkeypatch.setattr(DirectReads, "first", lambda self, *arguments: direct.append(arguments) or first(self, *arguments))
    try:
        check(client)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    assert statements == []
    assert direct == [(history.STATE,)]


def test_a_publication_is_seen_by_the_next_check(client, published):
    assert versions_used(check(client))[("FR", "requirements")] == 1

    published.publish("FR", "requirements", factories.requirements(max_supply_days=10), utcnow())

    answer = check(client)
    assert versions_used(answer)[("FR", "requirements")] == 2
    assert answer["countries"][0]["max_supply_days"] == 10


def test_after_many_publications_the_snapshot_is_read_afresh_with_the_same_answers(client, published, monkeypatch):
    check(client)
    monkeypatch.setattr(notifications, "CATCH_UP_MAX", 1)

    published.publish("FR", "requirements", factories.requirements(max_supply_days=11), utcnow())
    published.publish("CH", "requirements", None, utcnow())

    answer = check(client)
    assert versions_used(answer)[("FR", "requirements")] == 2 and answer["countries"][0]["max_supply_days"] == 11
    assert ("CH", "requirements") not in versions_used(answer)  # withdrawn: the guidelines' defaults apply


def test_a_publication_by_another_process_is_seen_by_the_next_check(app, client, published, database_url):
    assert versions_used(check(client))[("FR", "authorities")] == 1
    with app.app_context():
        secretariat = db.session.get(Account, published.account_id).email
    publish = (
        "import json, sys\n"
        "from registry import accounts, create_app, publishing\n"
        "app = create_app({'SQLALCHEMY_DATABASE_URI': sys.argv[1], 'SECRET_KEY': 'other'})\n"
        "with app.app_context():\n"
        "    actor = publishing.Actor(accounts.find_account(sys.argv[2]))\n"
        "    publishing.publish(actor, 'FR', 'authorities', json.loads(sys.argv[3]), publishing.Precondition(if_match=frozenset(['*'])))\n"
    )
    office = factories.authorities()
    office["authorities"][0]["name"] = "Published by another process"
    subprocess.run([sys.executable, "-c", publish, database_url, secretariat, json.dumps(office)], cwd=ROOT, check=True, timeout=120)

    answer = check(client)
    assert versions_used(answer)[("FR", "authorities")] == 2
    assert "Published by another process" in [office["name"] for office in answer["countries"][0]["authorities"]]


def test_a_confirmation_and_the_cycle_are_seen_by_the_next_check(app, client, publisher, monkeypatch):
    publisher.publish("FR", "requirements", factories.requirements(), utcnow() - timedelta(days=400))
    assert notices(check(client)) == ["confirmation-overdue"]

    publisher.confirm("FR", "requirements", utcnow())
    assert notices(check(client)) == []

    frozen_clock(monkeypatch, utcnow() + timedelta(days=400))
    assert notices(check(client)) == ["confirmation-overdue"]
    with app.app_context():
        reconfirmation.set_cycle(db.session.get(Account, publisher.account_id), 24)
    assert notices(check(client)) == []


def test_the_demonstration_note_written_after_the_last_publication_is_seen(app, client, published):
    assert check(client)["demo"] is False

    with app.app_context():  # as `registry demo` does once its publications are made
        db.session.add(Setting(key=history.DEMO_SETTING, value="Demonstration data"))
        db.session.commit()

    assert check(client)["demo"] is True


def test_a_section_falls_overdue_as_time_passes_with_nothing_published(client, publisher, monkeypatch):
    published_at = utcnow() - timedelta(days=300)
    publisher.publish("FR", "requirements", factories.requirements(), published_at)
    due = reconfirmation.add_months(published_at, reconfirmation.DEFAULT_CYCLE_MONTHS)

    frozen_clock(monkeypatch, due - timedelta(seconds=1))
    assert notices(check(client)) == []
    frozen_clock(monkeypatch, due)
    [notice] = check(client)["countries"][0]["notices"]
    assert notice["params"]["due"] == due.date().isoformat()


def test_within_one_second_the_checks_share_each_countrys_sections_and_the_next_second_works_them_out_again(app, published):
    with app.app_context():
        snapshot = notifications.current(app)
    moment = utcnow()
    first = snapshot.documents(["FR", "CH"], now=moment)
    again = snapshot.documents(["CH", "DE"], now=moment)
    assert again["CH"] is first["CH"]  # the same second: worked out once
    later = snapshot.documents(["FR"], now=moment + timedelta(seconds=1))
    assert later["FR"] is not first["FR"] and later["FR"] == first["FR"]


def test_a_registry_rebuilt_with_another_history_is_read_afresh(app, publisher, backend, request):
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=30), utcnow())
    publisher.publish("FR", "authorities", factories.authorities(), utcnow())
    with app.app_context():
        before = notifications.current()
    other = request.getfixturevalue("postgres").new() if backend == "postgresql" else None
    rebuilt = _other_registry(request, other)
    other_publisher = Publisher(rebuilt)
    for days in (60, 50, 40):  # as many versions and more, none the same: the kept head is not in this history
        other_publisher.publish("DE", "requirements", factories.requirements(max_supply_days=days), utcnow())
    with rebuilt.app_context():
        state = direct_reads(rebuilt).first(history.STATE)
        caught_up = notifications._brought_up(before, state)
        assert caught_up.sections.keys() == {"DE"}
        assert caught_up.sections["DE"]["requirements"].document["max_supply_days"] == 40
    dispose_engines(rebuilt)


def _other_registry(request, postgres_url):
    from ..helpers.apps import make_app

    if postgres_url is not None:
        return make_app(postgres_url)
    import shutil

    path = request.getfixturevalue("tmp_path") / "rebuilt.sqlite"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite"), path)
    return make_app(f"sqlite:///{path}")


def test_when_the_state_cannot_be_read_directly_the_check_reads_with_the_orm(client, published, monkeypatch):
    expected = check(client)

    def failing(self, *arguments):
        raise DirectReads.Failed("connection refused")

    monkeypatch.setattr(DirectReads, "first", failing)
    assert check(client) == expected


def test_each_application_keeps_its_own_snapshot(app, client, published, database_url):
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "other"})
    check(client)
    with other.app_context():
        assert "check_notifications" not in other.extensions
        assert notifications.current().sections.keys() == {"FR", "CH", "DE"}
    assert other.extensions["check_notifications"] is not app.extensions["check_notifications"]
    dispose_engines(other)


def test_checks_in_threads_while_publishing_see_each_version_in_order(app, client, published):
    seen: list[list[int]] = [[] for _ in range(4)]
    stop = threading.Event()

    def keep_checking(found):
        asking = app.test_client()
        while not stop.is_set():
            found.append(versions_used(check(asking))[("FR", "requirements")])

    threads = [threading.Thread(target=keep_checking, args=(found,)) for found in seen]
    for thread in threads:
        thread.start()
    try:
        for days in range(20, 26):
            published.publish("FR", "requirements", factories.requirements(max_supply_days=days), utcnow())
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    for found in seen:
        assert found == sorted(found)  # never back to an older state
    assert versions_used(check(client))[("FR", "requirements")] == 7
