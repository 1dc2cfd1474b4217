"""Crafted input that gave 500s, and input the registry should refuse (issue 12).

Every request here once crashed the registry or was accepted when it should not have been.
Each must now be a 4xx (or the 301 of a lower-case country) with a clear message, on SQLite
and PostgreSQL, with no traceback in the log.
"""
import json
import logging
import re

import pytest

from registry import accounts
from registry.db import db
from registry.http import DuplicateKey, UnreadableBody, parse_json
from registry.models import AuditRecord

from ..helpers.api import version_count
from ..helpers.console import csrf

HUGE = int("9" * 400)  # a 400-digit integer: no float can hold it (OverflowError)
TWENTY_DIGITS = "9" * 20
PASSWORD = "a long enough console password"


def import_bans(**changes) -> dict:
    """A valid import-bans document."""
    document = {"effective_from": "2026-03-01", "bans": [
        {"substance": "methylphenidate", "since": "2019-05-01", "region": None, "special_licence": True, "reference": None}]}
    return {**document, **changes}


def rule_with(**fields) -> dict:
    """A valid requirements document with one rule, its fields replaced."""
    rule = {"applies_to": ["methylphenidate"], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 1000, **fields}
    return {"effective_from": "2026-03-01", "travellers_allowed": "yes", "rules": [rule],
            "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True}}


def trip(**item) -> dict:
    return {"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 100, **item}]}


def put_raw(client, headers, path, body: bytes | str, *, content_type="application/json", **extra):
    data = body.encode() if isinstance(body, str) else body
    return client.put(path, data=data, headers={**headers, **extra}, **({"content_type": content_type} if content_type else {}))


def records(app) -> list[AuditRecord]:
    with app.app_context():
        return db.session.query(AuditRecord).order_by(AuditRecord.id).all()


@pytest.fixture
def officer(authority):
    return authority("FR")


# -- numbers no float can hold ----------------------------------------------------------------------------


def test_a_400_digit_amount_in_the_check_is_422_naming_the_field(client):
    answer = client.post("/api/v1/check", data=json.dumps(trip(amount_mg=HUGE)), content_type="application/json")

    assert answer.status_code == 422, answer.data[:300]
    [message] = answer.json["errors"]["items.0.amount_mg"]
    assert "at most 10000000 mg" in message and len(message) < 200


def test_a_400_digit_threshold_in_a_put_is_422_and_audited(app, client, officer):
    body = json.dumps(rule_with(threshold_mg=HUGE))
    answer = put_raw(client, officer, "/api/v1/countries/FR/requirements", body, **{"If-None-Match": "*"})

    assert answer.status_code == 422, answer.data[:300]
    assert "at most 10000000 mg" in answer.json["errors"]["rules.0.threshold_mg"][0]
    assert [(record.outcome, record.status) for record in records(app)] == [("refused", 422)]
    assert version_count(app) == 0


# -- the lower-case country redirect with a query string ---------------------------------------------------


@pytest.mark.parametrize("path, query", [
    ("/countries/fr", "country=DE"),
    ("/countries/fr", "endpoint=x"),
    ("/countries/fr", "_method=POST"),
    ("/countries/fr", "country=DE&endpoint=x&_external=1&lang=zh"),
    ("/countries/fr/requirements/versions/1", "number=2&section=x"),
    ("/api/v1/countries/fr", "country=DE"),
    ("/api/v1/countries/fr/requirements", "endpoint=x"),
    ("/feeds/countries/fr.atom", "country=DE"),
])
def test_a_lower_case_country_with_any_query_string_is_301_keeping_it(client, path, query):
    answer = client.get(f"{path}?{query}")

    assert answer.status_code == 301
    assert answer.headers["Location"] == f"{path.replace('/fr', '/FR', 1)}?{query}"


# -- integers in paths beyond any database integer --------------------------------------------------------


@pytest.mark.parametrize("path", [
    f"/feeds/changes/archive/{TWENTY_DIGITS}.atom",
    f"/feeds/countries/FR/archive/{TWENTY_DIGITS}.atom",
    f"/feeds/sections/requirements/archive/{TWENTY_DIGITS}.atom",
    f"/feeds/substances/methylphenidate/archive/{TWENTY_DIGITS}.atom",
    "/feeds/changes/archive/999999999.atom",
    "/feeds/changes/archive/2147483647.atom",
    "/feeds/changes/archive/2147483648.atom",
    "/feeds/countries/FR/archive/999999999.atom",
    "/feeds/substances/methylphenidate/archive/999999999.atom",
    f"/countries/FR/import-bans/versions/{TWENTY_DIGITS}",
    "/countries/FR/import-bans/versions/2147483648",
    f"/api/v1/countries/FR/import-bans/versions/{TWENTY_DIGITS}",
])
@pytest.mark.parametrize("base_url", [None, "https://registry.example"])
def test_a_huge_number_in_a_path_is_404(app, client, officer, path, base_url):
    app.config["REGISTRY_BASE_URL"] = base_url  # with it, archive documents are looked up in the database first
    client.put("/api/v1/countries/FR/import-bans", json=import_bans(), headers={**officer, "If-None-Match": "*"})

    assert client.get(path).status_code == 404


# -- JSON nested beyond Python's recursion limit ------------------------------------------------------------


def test_parse_json_refuses_deep_nesting_and_repeated_keys_as_unreadable():
    with pytest.raises(UnreadableBody):
        parse_json("[" * 5000)
    with pytest.raises(UnreadableBody):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(DuplicateKey, match="'a' twice"):
        parse_json('{"b": {"a": 1, "a": 2}}')
    assert parse_json('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}') == {"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}


def test_a_deeply_nested_body_is_400_on_a_put_and_on_the_check(app, client, officer):
    put = put_raw(client, officer, "/api/v1/countries/FR/requirements", "[" * 5000, **{"If-None-Match": "*"})
    check = client.post("/api/v1/check", data="[" * 5000, content_type="application/json")

    assert (put.status_code, check.status_code) == (400, 400)
    assert put.json["message"] == "The body is not a JSON document (UTF-8); nothing was stored."


def test_a_document_nested_too_deep_to_validate_is_422_without_recursion(app, client, officer):
    nested = {"effective_from": "2026-03-01", "bans": [], "notes": json.loads("[" * 900 + "]" * 900)}
    answer = client.put("/api/v1/countries/FR/import-bans", data=json.dumps(nested), content_type="application/json",
                        headers={**officer, "If-None-Match": "*"})

    assert answer.status_code == 422
    assert "nested more than" in answer.json["errors"][""][0]


def test_a_console_document_of_5000_brackets_is_400(app, client):
    with app.app_context():
        accounts.add_account("console@fr.example", country="FR", secretariat=False, password=PASSWORD)
    signed_in = client.post("/console/login", data={"csrf_token": csrf(client.get("/console/login")),
                                                     "email": "console@fr.example", "password": PASSWORD})
    assert signed_in.status_code in (302, 303), signed_in.status_code
    editor = client.get("/console/FR/import-bans")
    assert editor.status_code == 200

    for action in ("publish", "edit"):
        answer = client.post("/console/FR/import-bans", data={"csrf_token": csrf(editor), "etag": "", "action": action,
                                                              "document": "[" * 5000})
        assert answer.status_code == 400, answer.status_code
        assert "damaged" in answer.get_data(as_text=True)
    assert version_count(app) == 0


# -- every one of them: no 500, no traceback -----------------------------------------------------------------


CRAFTED = [
    ("POST", "/api/v1/check", json.dumps(trip(amount_mg=HUGE))),
    ("POST", "/api/v1/check", json.dumps(trip(amount_mg=-HUGE))),
    ("POST", "/api/v1/check", json.dumps({**trip(), "days": HUGE})),
    ("POST", "/api/v1/check", json.dumps(trip(unit_doses=HUGE))),
    ("POST", "/api/v1/check", "[" * 5000),
    ("POST", "/api/v1/check", '{"destination": "FR", "destination": "DE", "items": []}'),
    ("POST", "/api/v1/check", json.dumps({f"k{number}": number for number in range(60_000)})),
    ("PUT", "/api/v1/countries/FR/requirements", json.dumps(rule_with(threshold_mg=HUGE))),
    ("PUT", "/api/v1/countries/FR/requirements", json.dumps(rule_with(threshold="days", threshold_days=HUGE, threshold_mg=None))),
    ("PUT", "/api/v1/countries/FR/requirements", "[" * 5000),
    ("PUT", "/api/v1/countries/FR/requirements", "null"),
    ("PUT", "/api/v1/countries/FR/import-bans", '{"effective_from": "2026-01-01", "effective_from": "2099-12-31", "bans": []}'),
    ("PUT", "/api/v1/countries/fr/import-bans", json.dumps(import_bans())),
    ("GET", "/countries/fr?country=DE", None),
    ("GET", "/countries/fr?endpoint=x", None),
    ("GET", "/countries/fr?_method=POST", None),
    ("GET", "/api/v1/countries/fr?country=DE", None),
    ("GET", f"/feeds/changes/archive/{TWENTY_DIGITS}.atom", None),
    ("GET", f"/countries/FR/import-bans/versions/{TWENTY_DIGITS}", None),
    ("GET", "/feeds/changes/archive/999999999.atom", None),
]


def test_no_crafted_request_is_a_500_or_leaves_a_traceback(app, client, officer, caplog):
    """Every request above, against the suite's database (run the suite on SQLite and on PostgreSQL)."""
    caplog.set_level(logging.DEBUG)
    client.put("/api/v1/countries/FR/authorities", json={"effective_from": "2026-03-01", "authorities": [
        {"roles": ["permits"], "name": "Agence", "address": {"lines": ["1 rue"], "city": "Paris", "country": "FR"}}]},
        headers={**officer, "If-None-Match": "*"})
    for method, path, body in CRAFTED:
        headers = {**officer, "If-None-Match": "*"} if method == "PUT" else {}
        answer = client.open(path, method=method, data=body, content_type="application/json" if body else None, headers=headers)
        assert 300 <= answer.status_code < 500, (method, path, (body or "")[:80], answer.status_code)
        if answer.status_code >= 400 and path.startswith("/api/"):
            assert answer.json["message"], (method, path)
    assert "Traceback" not in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


# -- input the registry refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["null", "[]", '"a document"', "42", "true"])
def test_a_put_body_must_be_an_object_and_null_does_not_withdraw(app, client, officer, body):
    first = client.put("/api/v1/countries/FR/import-bans", json=import_bans(), headers={**officer, "If-None-Match": "*"})
    assert first.status_code == 201

    answer = put_raw(client, officer, "/api/v1/countries/FR/import-bans", body, **{"If-Match": first.headers["ETag"]})

    assert answer.status_code == 422
    assert "must be a JSON object" in answer.json["message"] and "DELETE" in answer.json["message"]
    current = client.get("/api/v1/countries/FR/import-bans").json
    assert current["meta"]["version"] == 1 and current["meta"]["withdrawn"] is False
    assert [(record.outcome, record.status) for record in records(app)] == [("ok", 201), ("refused", 422)]


def test_a_first_version_of_null_is_refused_too(app, client, officer):
    answer = put_raw(client, officer, "/api/v1/countries/FR/import-bans", "null", **{"If-None-Match": "*"})

    assert answer.status_code == 422
    assert client.get("/api/v1/countries/FR/import-bans").status_code == 404


def test_a_repeated_key_in_a_put_is_400_audited_and_nothing_is_stored(app, client, officer):
    body = '{"effective_from": "2026-01-01", "effective_from": "2099-12-31", "bans": []}'
    answer = put_raw(client, officer, "/api/v1/countries/FR/import-bans", body, **{"If-None-Match": "*"})

    assert answer.status_code == 400
    assert answer.json["message"] == ("The body is not valid: an object names the key 'effective_from' twice; "
                                      "each key may appear once. Nothing was stored.")
    assert version_count(app) == 0
    assert [(record.outcome, record.status) for record in records(app)] == [("refused", 400)]


def test_a_repeated_key_deep_in_the_check_is_400(client):
    body = '{"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 1, "amount_mg": 99999}]}'
    answer = client.post("/api/v1/check", data=body, content_type="application/json")

    assert answer.status_code == 400
    assert "'amount_mg' twice" in answer.json["message"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_put_not_sent_as_json_is_415_audited_and_nothing_is_stored(app, client, officer, content_type):
    answer = put_raw(client, officer, "/api/v1/countries/FR/import-bans", json.dumps(import_bans()),
                     content_type=content_type, **{"If-None-Match": "*"})

    assert answer.status_code == 415
    assert "Content-Type: application/json" in answer.json["message"]
    assert version_count(app) == 0
    assert [(record.outcome, record.status) for record in records(app)] == [("refused", 415)]


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "application/vnd.registry+json"])
def test_a_put_sent_as_json_is_accepted(client, officer, content_type):
    answer = put_raw(client, officer, "/api/v1/countries/FR/import-bans", json.dumps(import_bans()),
                     content_type=content_type, **{"If-None-Match": "*"})

    assert answer.status_code == 201, answer.json


def test_delete_and_confirm_need_no_body_and_no_content_type(client, officer):
    first = client.put("/api/v1/countries/FR/import-bans", json=import_bans(), headers={**officer, "If-None-Match": "*"})

    assert client.post("/api/v1/countries/FR/import-bans/confirm", headers=officer).status_code == 200
    withdrawn = client.delete("/api/v1/countries/FR/import-bans", headers={**officer, "If-Match": first.headers["ETag"]})
    assert withdrawn.status_code == 200 and withdrawn.json["meta"]["withdrawn"] is True


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_check_not_sent_as_json_is_415(client, content_type):
    answer = client.post("/api/v1/check", data=json.dumps(trip()), **({"content_type": content_type} if content_type else {}))

    assert answer.status_code == 415
    assert answer.json["message"] == "Send the body as JSON, with the header Content-Type: application/json."


def test_the_readme_curl_examples_send_json(client, officer):
    """README.md's examples, as curl sends them."""
    readme = (__import__("pathlib").Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    examples = re.findall(r"curl -s -X (PUT|POST) http://127\.0\.0\.1:8000(\S+) (.*?)-d '(.*?)'", readme, re.S)
    assert len(examples) >= 2
    for method, path, options, body in examples:
        assert '-H "Content-Type: application/json"' in options, path
        headers = {**officer, "If-None-Match": "*"} if method == "PUT" else {}
        answer = client.open(path, method=method, data=body, content_type="application/json", headers=headers)
        assert answer.status_code in (200, 201), (path, answer.json)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
def test_a_lower_case_country_on_a_write_says_codes_are_upper_case(client, officer, method):
    path = "/api/v1/countries/fr/import-bans" + ("/confirm" if method == "POST" else "")
    answer = client.open(path, method=method, json=import_bans() if method == "PUT" else None,
                         headers={**officer, "If-None-Match": "*"})

    assert answer.status_code == 404
    assert "Country codes are upper case: use 'FR'" in answer.json["message"]


def test_a_lower_case_country_in_a_document_or_a_check_says_codes_are_upper_case(client, officer):
    document = {"effective_from": "2026-03-01", "authorities": [
        {"roles": ["permits"], "name": "Agence", "address": {"lines": ["1 rue"], "city": "Paris", "country": "fr"}}]}
    put = client.put("/api/v1/countries/FR/authorities", json=document, headers={**officer, "If-None-Match": "*"})
    check = client.post("/api/v1/check", json={**trip(), "destination": "de"})

    assert put.status_code == 422 and check.status_code == 422
    assert "Country codes are upper case: use 'FR'" in put.json["errors"]["authorities.0.address.country"][0]
    assert "Country codes are upper case: use 'DE'" in check.json["errors"]["destination"][0]
