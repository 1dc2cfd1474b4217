"""Traveller checks answered before Flask (registry/api/check_first.py): the view's answer, header for header and
byte for byte, and every request it does not answer left to Flask untouched."""
import io
from datetime import timedelta

import pytest
from flask import Flask
from werkzeug.test import Client

from registry.api.check_first import ChecksFirst
from registry.db import DirectReads, utcnow

from ..helpers import factories
from ..helpers.check_cases import CO_CODAMOL, RITALIN, item, per_unit, product, trip
from ..helpers.exports import Publisher

TRIPS = [
    trip(item("morphine", 2100, unit_doses=70, form="tablet"), item("fentanyl", 84, unit_doses=10, form="transdermal-patch"),
         item("diazepam", 210, unit_doses=42, form="tablet"), destination="FR", transit=["CH"], departure="DE", days=21),
    trip(product(RITALIN, 60), product(CO_CODAMOL, 30), destination="CH", departure="FR"),
    trip(per_unit("methylphenidate", 10, 60), destination="NZ"),
]
ASKED = [  # (query string, request headers)
    ("", {}),
    ("lang=fr", {}),
    ("", {"Accept-Language": "ru, en;q=0.5"}),
    ("lang=ar", {"Accept-Language": "zh", "Accept-Encoding": "gzip"}),
    ("", {"Accept-Encoding": "gzip, deflate, br"}),
    ("lang=es", {"Accept-Encoding": "deflate"}),
    ("lang=xx", {"Accept-Encoding": "br;q=0, identity", "Cookie": "lang=zh; session=abc"}),
]


@pytest.fixture
def registry(app):
    """France with a section overdue, Switzerland and Germany: reasons with dates, substances and countries to word."""
    publisher = Publisher(app)
    publisher.publish("FR", "requirements", factories.requirements(), utcnow() - timedelta(days=400))
    publisher.publish("FR", "authorities", factories.authorities(), utcnow())
    publisher.publish("FR", "import-bans", factories.import_bans(), utcnow())
    publisher.publish("CH", "requirements", factories.requirements(transit="not-required"), utcnow())
    publisher.publish("DE", "authorities", factories.authorities(), utcnow())
    return app


def through_flask(app) -> Client:
    """A client of the Flask application alone, without the layers that wrap it."""
    return Client(lambda environ, start_response: Flask.wsgi_app(app, environ, start_response))


def before_flask(app) -> Client:
    """A client of the layer alone: a request it passes on fails the test."""
    def refused(environ, start_response):
        raise AssertionError("the check went on to Flask")

    return Client(ChecksFirst(app, refused))


def comparable(answer) -> tuple:
    body = answer.get_data()
    if answer.headers.get("Content-Encoding") == "gzip":
        body = body[:4] + b"\0\0\0\0" + body[8:]  # gzip's header records the second it was made (RFC 1952 MTIME)
    return answer.status, answer.headers.to_wsgi_list(), body


def ask(client, body, query="", headers=None):
    return client.post(f"/api/v1/check{'?' + query if query else ''}", json=body, headers=headers or {})


@pytest.mark.parametrize("query, headers", ASKED, ids=[f"{query or '-'}|{'|'.join(headers.values()) or '-'}" for query, headers in ASKED])
@pytest.mark.parametrize("number", range(len(TRIPS)))
def test_a_check_answered_before_flask_is_the_view_s_answer(registry, number, query, headers):
    flask_answer = ask(through_flask(registry), TRIPS[number], query, headers)
    assert flask_answer.status_code == 200, flask_answer.json

    assert comparable(ask(before_flask(registry), TRIPS[number], query, headers)) == comparable(flask_answer)


def test_over_https_the_answer_has_hsts_in_both_paths(registry):
    registry.config["SESSION_COOKIE_SECURE"] = True
    flask_answer = ask(through_flask(registry), TRIPS[0])

    assert "Strict-Transport-Security" in flask_answer.headers
    assert comparable(ask(before_flask(registry), TRIPS[0])) == comparable(flask_answer)


def test_the_application_answers_checks_before_flask(registry):
    layer = registry.wsgi_app
    while not isinstance(layer, ChecksFirst):
        layer = layer.wsgi_app  # the layers wrap one another; the check's is among them
    reached = []
    inner = layer.wsgi_app
    layer.wsgi_app = lambda environ, start_response: reached.append(environ["PATH_INFO"]) or inner(environ, start_response)
    client = registry.test_client()

    assert ask(client, TRIPS[0]).status_code == 200
    assert reached == []
    assert client.get("/api/v1/countries").status_code == 200
    assert reached == ["/api/v1/countries"]


@pytest.mark.parametrize("data, content_type, status", [
    (b"not json", "application/json", 400),
    (b'{"destination": "FR", "destination": "DE", "items": []}', "application/json", 400),
    (b'{"destination": "FR", "items": []}', "application/json", 422),
    (b'{"destination": "XX", "items": [{"substance": "morphine", "amount_mg": 10}]}', "application/json", 422),
    (b'{"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 10}]}', "text/plain", 415),
    (b'{"destination": "FR", "items": []}' + b" " * (1024 * 1024), "application/json", 413),
])
def test_a_request_the_layer_does_not_answer_goes_on_to_flask_whole(registry, data, content_type, status):
    passed = []

    def flask_app(environ, start_response):
        passed.append(environ["wsgi.input"].read())
        return Flask.wsgi_app(registry, {**environ, "wsgi.input": io.BytesIO(passed[-1])}, start_response)

    answer = Client(ChecksFirst(registry, flask_app)).post("/api/v1/check", data=data, content_type=content_type)
    expected = through_flask(registry).post("/api/v1/check", data=data, content_type=content_type)

    assert answer.status_code == status
    assert passed == [data]  # what the layer read of the body is put back
    assert comparable(answer) == comparable(expected)


def test_when_the_state_cannot_be_read_directly_flask_answers_from_the_orm(registry, monkeypatch):
    expected = ask(through_flask(registry), TRIPS[0])

    def failing(self, *arguments):
        raise DirectReads.Failed("connection refused")

    monkeypatch.setattr(DirectReads, "first", failing)
    answer = ask(registry.test_client(), TRIPS[0])

    assert answer.status_code == 200
    assert comparable(answer) == comparable(expected)
