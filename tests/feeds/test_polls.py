"""Feed polls answered before Flask (registry/feeds/polls.py): the same answers as the views, for less.

A document is rendered (or fetched) by the Flask view the first time, and answered
from the process's memory afterwards while the registry's history still yields it.
Each test counts the requests that reached Flask, so that it knows which path
answered.
"""
import http.client
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from registry import reference

from registry.feeds import polls as feed_polls

from registry.feeds import rendering as atom
from registry.db import DirectReads, direct_reads, dispose_engines
from registry.documents import SECTIONS
from registry.db import db
from registry.models import Version

from ..helpers import factories
from ..helpers.apps import POSTGRES_URL, make_app
from ..helpers.browser import served
from ..helpers.feeds import FEEDS, PAGE, Publisher, parse
from ..helpers.servers import SERVER_HEADERS

ARCHIVES = ["/feeds/changes/archive/1.atom", "/feeds/countries/FR/archive/1.atom",
            "/feeds/sections/requirements/archive/1.atom", "/feeds/substances/methylphenidate/archive/1.atom"]


class Reached:
    """Counts the requests that the feed polls passed on to Flask."""

    def __init__(self, polls):
        assert isinstance(polls, feed_polls.FeedPolls)
        self.count, inner = 0, polls.wsgi_app

        def counted(environ, start_response):
            self.count += 1
            return inner(environ, start_response)

        polls.wsgi_app = counted

    @contextmanager
    def flask(self, expected: int):
        """Assert that the requests in the block reached Flask `expected` times."""
        before = self.count
        yield
        assert self.count - before == expected


@pytest.fixture
def reached(app):
    return Reached(app.wsgi_app)


@pytest.fixture
def history(app, client, authority):
    """Two full archive pages on every archived feed of ARCHIVES, and a subscription document on each of FEEDS."""
    app.config["REGISTRY_FEED_PAGE_SIZE"] = PAGE
    publisher = Publisher(client, authority(secretariat=True))
    for number in range(2 * PAGE):
        bans = [{"substance": "methylphenidate", "since": "2020-01-01", "region": None, "special_licence": number % 2 == 0}]
        publisher.publish("FR", "requirements", factories.requirements(
            max_supply_days=number + 1, rules=[{"applies_to": ["methylphenidate"], "documents": ["certificate"],
                                                "threshold": "amount", "threshold_mg": 100 + number}]))
        publisher.publish("FR", "import-bans", factories.import_bans(bans=bans if number % 2 == 0 else []))
    return publisher


def same_answer(first, second) -> None:
    assert second.status_code == first.status_code
    assert second.data == first.data
    assert sorted(second.headers.items()) == sorted(first.headers.items())


@pytest.mark.parametrize("path", FEEDS + ARCHIVES)
@pytest.mark.parametrize("base_url", [None, "https://registry.example"])
def test_a_poll_answered_from_memory_is_the_answer_flask_gave(app, client, history, reached, path, base_url):
    app.config["REGISTRY_BASE_URL"] = base_url
    with reached.flask(1):
        rendered = client.get(path)
        assert rendered.status_code == 200
    with reached.flask(0):
        polled = client.get(path)
        same_answer(rendered, polled)

        etag = rendered.headers["ETag"]
        not_modified = client.get(path, headers={"If-None-Match": etag})
        assert not_modified.status_code == 304 and not_modified.data == b""
        assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
        same_answer(client.get(path, headers={"If-None-Match": '"other"'}), rendered)

        head = client.head(path)
        assert head.status_code == 200 and head.data == b""
        assert sorted(head.headers.items()) == sorted(rendered.headers.items())
    with reached.flask(1):
        # The view's 304, made by Werkzeug, for comparison with the poll's (a query string goes on to Flask).
        same_answer(client.get(path + "?flask", headers={"If-None-Match": etag}), not_modified)


def test_each_host_name_gets_its_own_links(app, client, history, reached):
    with reached.flask(2):
        here = client.get("/feeds/changes.atom", base_url="http://registry.example").data
        there = client.get("/feeds/changes.atom", base_url="https://mirror.example.org").data
    with reached.flask(0):
        assert client.get("/feeds/changes.atom", base_url="http://registry.example").data == here
        assert client.get("/feeds/changes.atom", base_url="https://mirror.example.org").data == there
    assert b"https://mirror.example.org/" in there and b"https://mirror.example.org/" not in here


def test_a_publication_is_seen_by_the_very_next_poll(app, client, history, reached):
    for path in FEEDS:
        client.get(path)
    old = {path: client.get(path).headers["ETag"] for path in FEEDS}

    history.publish("FR", "import-bans", factories.import_bans(bans=[
        {"substance": "methylphenidate", "since": "2021-06-01", "region": None, "special_licence": True}]))

    with reached.flask(len(FEEDS)):  # rendered anew
        for path in FEEDS:
            response = client.get(path, headers={"If-None-Match": old[path]})
            assert response.status_code == 200 and response.headers["ETag"] != old[path], path
            assert "version 11" in parse(client, path).entries[0].title


def test_an_archive_document_is_not_served_from_memory_once_its_history_is_gone(app, client, history, reached):
    path = "/feeds/changes/archive/1.atom"
    client.get(path)
    with app.app_context():
        db.session.execute(sa.update(Version).where(Version.seq == PAGE).values(hash="0" * 64))
        db.session.commit()
    with reached.flask(1):
        response = client.get(path)
    assert response.status_code == 200  # rendered from the history the registry now holds


@pytest.mark.parametrize("path, headers", [
    ("/feeds/changes.atom?lang=zh", {}),  # sets the language cookie
    ("/feeds/countries/fr.atom", {}),  # redirected
    ("/feeds/countries/XX.atom", {}),  # 404
    ("/feeds/changes/archive/9.atom", {}),  # not full yet: 404
    ("/feeds/changes.atom", {"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}),  # the same-second rule
])
def test_what_memory_cannot_answer_goes_on_to_flask(app, client, history, reached, path, headers):
    client.get(urlsplit(path).path)
    with reached.flask(1):
        client.get(path, headers=headers)


def test_a_host_name_flask_does_not_trust_goes_on_to_flask_and_is_refused(app, client, history, reached):
    client.get("/feeds/changes.atom")
    app.config["TRUSTED_HOSTS"] = ["registry.example"]
    with reached.flask(1):
        assert client.get("/feeds/changes.atom", base_url="http://elsewhere.example").status_code == 400
    with reached.flask(1):  # rendered for this host name
        assert client.get("/feeds/changes.atom", base_url="http://registry.example").status_code == 200
    with reached.flask(0):
        assert client.get("/feeds/changes.atom", base_url="http://registry.example").status_code == 200


def test_behind_a_proxy_the_poll_links_the_host_the_client_asked_for(database_url):
    app = make_app(database_url, REGISTRY_PROXY_HOPS=1)
    try:
        reached = Reached(app.wsgi_app.app)  # ProxyFix wraps the polls: they see the forwarded host too
        forwarded = {"X-Forwarded-Host": "registry.example", "X-Forwarded-Proto": "https"}
        client = app.test_client()
        with reached.flask(1):
            first = client.get("/feeds/changes.atom", headers=forwarded)
        with reached.flask(0):
            assert client.get("/feeds/changes.atom", headers=forwarded).data == first.data
        assert b'href="https://registry.example/feeds/changes.atom"' in first.data
    finally:
        dispose_engines(app)


def test_a_database_error_in_a_poll_lets_flask_answer(app, client, history, reached, monkeypatch):
    expected = client.get("/feeds/changes.atom")

    def failing(*_args, **_kwargs):
        raise DirectReads.Failed("the database went away")

    monkeypatch.setattr(direct_reads(app), "first", failing)
    with reached.flask(1):
        same_answer(client.get("/feeds/changes.atom"), expected)


def test_polls_survive_postgresql_dropping_every_connection(postgres):
    app = make_app(postgres.new())
    try:
        polls_survive_dropped_connections(app)
    finally:
        dispose_engines(app)


def polls_survive_dropped_connections(app):
    reached = Reached(app.wsgi_app)
    client = app.test_client()
    expected = client.get("/feeds/changes.atom")
    with reached.flask(0):
        assert client.get("/feeds/changes.atom").data == expected.data  # a pooled connection now exists

    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        killed = connection.execute(sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                            "WHERE datname = :name AND pid <> pg_backend_pid()"),
                                    {"name": app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1]}).scalar()
    admin.dispose()
    assert killed >= 1

    with reached.flask(1):  # the poll fails over to Flask, whose engine pings and reconnects
        same_answer(client.get("/feeds/changes.atom"), expected)
    with reached.flask(0):  # and the polls connect anew
        same_answer(client.get("/feeds/changes.atom"), expected)


def test_over_http_a_poll_gets_the_same_bytes_and_headers_as_the_rendering(app, history, reached):
    app.config["REGISTRY_BASE_URL"] = "https://registry.example"
    with served(app) as base:
        connection = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port)
        answers = []
        for method in ("GET", "GET", "HEAD"):
            connection.request(method, "/feeds/countries/FR.atom")
            response = connection.getresponse()
            answers.append((response.status, response.read(),
                            sorted((name.lower(), value) for name, value in response.getheaders() if name.lower() not in SERVER_HEADERS)))
        connection.close()
    assert reached.count == 1
    (status, body, headers), (status_again, body_again, headers_again), (head_status, head_body, head_headers) = answers
    assert (status_again, body_again, headers_again) == (status, body, headers) == (200, body, headers)
    assert (head_status, head_body, head_headers) == (200, b"", headers)


def test_every_feed_there_is_can_be_answered_from_memory():
    keys = ["changes", *(f"countries/{code}" for code in reference.countries()), *(f"sections/{name}" for name in SECTIONS),
            *(f"substances/{key}" for key in reference.substances())]
    for key in keys:
        for path in (f"/feeds/{key}.atom", f"/feeds/{key}/archive/12.atom"):
            match = feed_polls.PATH.fullmatch(path)
            assert match and atom.feed(match[1]) is not None, path
