"""The API's public reads answered from memory (registry/api/memory.py): the same answers as the views, for less.

Each test counts the requests that reached Flask, so that it knows which path answered:
the first request of a kind is rendered by the view and kept, the next ones are
answered from memory while the registry's state (history.STATE) and the clock allow.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry.api import memory as api_memory
from registry.db import DirectReads, direct_reads, dispose_engines, utcnow
from registry.db import db
from registry.models import Account
from registry.workflow import reconfirmation

from ..helpers import factories
from ..helpers.feeds import Publisher
from ..helpers.servers import SERVER_HEADERS, free_port

READS = [
    "/api/v1/countries",
    "/api/v1/countries/FR",
    "/api/v1/countries/DE",  # nothing notified
    "/api/v1/countries/FR/requirements",
    "/api/v1/countries/FR/import-bans",  # withdrawn
    "/api/v1/countries/FR/requirements/versions",
    "/api/v1/countries/FR/requirements/versions/2",
    "/api/v1/substances",
    "/api/v1/substances/methylphenidate",
    "/api/v1/changes",
    "/api/v1/changes?after=1&limit=2",
]
ENCODINGS = [{}, {"Accept-Encoding": "gzip"}, {"Accept-Encoding": "br, gzip;q=0.5"}]


class Reached:
    """Counts the requests the memory of public reads passed on to Flask."""

    def __init__(self, app):
        reads = memory_of(app)
        self.count, inner = 0, reads.wsgi_app

        def counted(environ, start_response):
            self.count += 1
            return inner(environ, start_response)

        reads.wsgi_app = counted

    @contextmanager
    def flask(self, expected: int):
        """Assert that the requests in the block reached Flask `expected` times."""
        before = self.count
        yield
        assert self.count - before == expected


def memory_of(app) -> api_memory.ApiReads:
    """The layer of WSGI middleware that answers the API's reads from memory."""
    layer = app.wsgi_app
    while not isinstance(layer, api_memory.ApiReads):
        layer = layer.wsgi_app
    return layer


@pytest.fixture
def reached(app):
    return Reached(app)


@pytest.fixture
def publisher(client, authority):
    publisher = Publisher(client, authority(secretariat=True))
    for days in (30, 60, 90):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days))
    publisher.publish("FR", "import-bans", factories.import_bans(bans=[
        {"substance": "methylphenidate", "since": "2020-01-01", "region": None, "special_licence": False}]))
    publisher.withdraw("FR", "import-bans")
    publisher.publish("FR", "authorities", factories.authorities())
    return publisher


def headers_of(response) -> list:
    return sorted((name, value) for name, value in response.headers.items() if name.lower() not in SERVER_HEADERS)


def same_answer(first, second) -> None:
    assert second.status_code == first.status_code
    assert second.data == first.data
    assert headers_of(second) == headers_of(first)


@pytest.mark.parametrize("asked", ENCODINGS, ids=["identity", "gzip", "br"])
def test_a_read_answered_from_memory_is_the_answer_flask_gave(app, client, publisher, reached, asked):
    for path in READS:  # one registry for all of them: each read is kept under its own request
        answered_alike(client, reached, path, asked)


def answered_alike(client, reached, path: str, asked: dict) -> None:
    """The read rendered by Flask, then from memory: 200, 304 and HEAD alike."""
    with reached.flask(1):
        rendered = client.get(path, headers=asked)
        assert rendered.status_code == 200, path
    with reached.flask(0):
        same_answer(rendered, client.get(path, headers=asked))
    if "Date" in rendered.headers:  # Werkzeug's make_conditional dates its answers: memory dates them anew
        assert client.get(path, headers=asked).headers["Date"]

    etag = rendered.headers["ETag"]
    with reached.flask(1):
        not_modified = client.get(path, headers={**asked, "If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    with reached.flask(0):
        same_answer(not_modified, client.get(path, headers={**asked, "If-None-Match": etag}))
        same_answer(not_modified, client.get(path, headers={**asked, "If-None-Match": f'"other", W/{etag}'}))
        same_answer(rendered, client.get(path, headers={**asked, "If-None-Match": '"other"'}))
    with reached.flask(1):  # Flask's own answers to the same, for comparison (a query string goes on to Flask)
        same_answer(not_modified, client.get(path + ("&" if "?" in path else "?") + "flask=1",
                                             headers={**asked, "If-None-Match": f'"other", W/{etag}'}))

    with reached.flask(1):
        head = client.head(path, headers=asked)
    with reached.flask(0):
        same_answer(head, client.head(path, headers=asked))
    assert head.data == b"" and headers_of(head) == headers_of(rendered)


def test_every_read_has_an_etag_that_answers_304(client, publisher):
    for path in READS:
        first = client.get(path)
        assert first.headers.get("ETag"), path
        again = client.get(path + ("&" if "?" in path else "?") + "fresh=1", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304, path


def test_each_host_name_gets_its_own_links(client, publisher, reached):
    with reached.flask(2):
        here = client.get("/api/v1/countries/FR", base_url="http://registry.example").json
        there = client.get("/api/v1/countries/FR", base_url="https://mirror.example.org").json
    with reached.flask(0):
        assert client.get("/api/v1/countries/FR", base_url="https://mirror.example.org").json == there
    assert here["links"]["self"].startswith("http://registry.example/")
    assert there["links"]["self"].startswith("https://mirror.example.org/")


def test_a_publication_is_seen_by_the_very_next_read(client, publisher, reached):
    for path in READS:
        client.get(path)
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=120))
    with reached.flask(len(READS)):
        for path in READS:
            client.get(path)
    assert client.get("/api/v1/countries/FR").json["current"]["requirements"]["meta"]["version"] == 4
    assert client.get("/api/v1/countries/FR/requirements").json["document"]["max_supply_days"] == 120


def test_a_confirmation_and_a_new_cycle_are_seen_by_the_very_next_read(app, client, publisher, reached, secretariat):
    before = client.get("/api/v1/countries/FR").json["sections"]["requirements"]
    time.sleep(1.1)  # confirmations are stored to the second
    assert client.post("/api/v1/countries/FR/requirements/confirm", headers=secretariat).status_code == 200
    with reached.flask(1):
        after = client.get("/api/v1/countries/FR").json["sections"]["requirements"]
    assert after["last_confirmed"] > before["last_confirmed"]

    with app.app_context():
        reconfirmation.set_cycle(db.session.scalars(select(Account).where(Account.secretariat)).first(), 3)
        db.session.commit()
    with reached.flask(1):
        shorter = client.get("/api/v1/countries/FR").json["sections"]["requirements"]
    assert shorter["confirmation_due"] < after["confirmation_due"]


def test_an_answer_is_rendered_anew_once_a_section_falls_due(client, publisher, reached, monkeypatch):
    path = "/api/v1/countries/FR/requirements"
    first = client.get(path)
    assert first.json["meta"]["overdue"] is False
    later = utcnow() + timedelta(days=800)
    monkeypatch.setattr(reconfirmation, "utcnow", lambda: later)  # the clock of due dates
    with reached.flask(1):
        overdue = client.get(path)
    assert overdue.json["meta"]["overdue"] is True and overdue.headers["ETag"] != first.headers["ETag"]
    with reached.flask(0):  # no due date left to pass: it holds
        same_answer(overdue, client.get(path))


@pytest.mark.parametrize("path, headers", [
    ("/api/v1/countries/fr", {}),  # redirected
    ("/api/v1/countries/XX", {}),  # 404
    ("/api/v1/countries/FR?lang=fr", {}),  # a query string the read does not take
    ("/api/v1/countries/FR", {"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}),
])
def test_what_memory_cannot_answer_goes_on_to_flask(client, publisher, reached, path, headers):
    client.get(path, headers=headers)
    with reached.flask(1):
        client.get(path, headers=headers)


def test_writes_go_on_to_flask(client, publisher, reached, secretariat):
    with reached.flask(2):
        client.post("/api/v1/countries/FR/requirements/confirm", headers=secretariat)
        client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers={**secretariat, "If-Match": "*"})


def test_a_database_error_lets_flask_answer(app, client, publisher, reached, monkeypatch):
    expected = client.get("/api/v1/countries/FR")

    def failing(*_args, **_kwargs):
        raise DirectReads.Failed("the database went away")

    monkeypatch.setattr(direct_reads(app), "first", failing)
    with reached.flask(1):
        same_answer(client.get("/api/v1/countries/FR"), expected)


def test_a_host_name_flask_does_not_trust_goes_on_to_flask_and_is_refused(app, client, publisher, reached):
    client.get("/api/v1/countries/FR", base_url="http://registry.example")
    app.config["TRUSTED_HOSTS"] = ["registry.example"]
    with reached.flask(1):
        assert client.get("/api/v1/countries/FR", base_url="http://elsewhere.example").status_code == 400


def test_what_clients_send_in_if_none_match_does_not_fill_the_memory(app, client, publisher, reached):
    reads = memory_of(app)
    etag = client.get("/api/v1/countries/FR").headers["ETag"]
    client.get("/api/v1/countries/FR", headers={"If-None-Match": etag})
    size = reads.answers.size
    with reached.flask(0):
        for number in range(50):
            assert client.get("/api/v1/countries/FR", headers={"If-None-Match": f'"made-up-{number}"'}).status_code == 200
            assert client.get("/api/v1/countries/FR", headers={"If-None-Match": f'"made-up-{number}", {etag}'}).status_code == 304
    assert reads.answers.size == size


def test_memory_is_bounded_in_bytes(app, client, publisher, reached):
    reads = memory_of(app)
    reads.answers.capacity = 4000
    client.get("/api/v1/countries/FR")
    client.get("/api/v1/substances")  # larger than the whole memory: not kept
    with reached.flask(1):
        client.get("/api/v1/substances")
    for number in range(1, 4):
        client.get(f"/api/v1/countries/FR/requirements/versions/{number}")
    assert reads.answers.size <= 4000
    with reached.flask(1):  # the oldest went first
        client.get("/api/v1/countries/FR")


PUBLISH_ELSEWHERE = """
import json, sys
from registry import create_app
from registry.db import dispose_engines
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "elsewhere"})
answer = app.test_client().put("/api/v1/countries/FR/requirements", data=sys.argv[3],
                               headers={"Authorization": sys.argv[2], "If-Match": "*", "Content-Type": "application/json"})
dispose_engines(app)
sys.exit(0 if answer.status_code == 200 else answer.status_code)
"""


def test_a_publication_by_another_process_is_seen_by_the_very_next_read(database_url, client, publisher, reached):
    for path in READS:
        client.get(path)
    document = factories.requirements(max_supply_days=7)
    subprocess.run([sys.executable, "-c", PUBLISH_ELSEWHERE, database_url, publisher.headers["Authorization"],
                    json.dumps(document)], check=True, timeout=120)
    with reached.flask(len(READS)):
        for path in READS:
            client.get(path)
    assert client.get("/api/v1/countries/FR/requirements").json["document"]["max_supply_days"] == 7
    assert client.get("/api/v1/changes?after=1&limit=2").status_code == 200


def test_gunicorn_workers_answer_the_new_version_once_any_of_them_published(app, database_url, publisher, tmp_path):
    token = publisher.headers["Authorization"]
    dispose_engines(app)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "memory-test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "gthread", "--threads", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "registry.wsgi:app"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def read(path: str) -> dict:
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            return json.loads(answer.read())

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                read("/api/v1/countries/FR")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("gunicorn did not start")
                time.sleep(0.2)
        for _ in range(20):  # every worker keeps its answer (new connections spread over both)
            assert read("/api/v1/countries/FR")["current"]["requirements"]["meta"]["version"] == 3
        put = urllib.request.Request(base + "/api/v1/countries/FR/requirements", method="PUT",
                                     data=json.dumps(factories.requirements(max_supply_days=5)).encode(),
                                     headers={"Authorization": token, "If-Match": "*", "Content-Type": "application/json"})
        with urllib.request.urlopen(put, timeout=10) as answer:
            assert answer.status == 200
        for _ in range(20):
            assert read("/api/v1/countries/FR")["current"]["requirements"]["meta"]["version"] == 4
            assert read("/api/v1/countries/FR/requirements")["document"]["max_supply_days"] == 5
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in output, output
