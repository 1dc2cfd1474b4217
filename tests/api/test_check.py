"""POST /api/v1/check: the rules' table of cases answered identically over HTTP; bad input refused; nothing kept."""
import json
import logging

import jsonschema
import pytest

from registry.db import db
from registry.models import AuditRecord, Version

from ..helpers import ROOT
from ..helpers.check_cases import (
    BAD_REQUESTS, CASES, RITALIN, SUBOXONE, examined, item, product, publish, requirements, rule, run, trip,
)

SCHEMAS = ROOT / "schemas"
REQUEST_SCHEMA = json.loads((SCHEMAS / "check-request.schema.json").read_text(encoding="utf-8"))
RESULT_SCHEMA = json.loads((SCHEMAS / "check-result.schema.json").read_text(encoding="utf-8"))


def ask(client, body):
    return client.post("/api/v1/check", json=body)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_each_case_answers_through_the_api_exactly_as_the_rules_module_decides(client, secretariat, case):
    publish(client, secretariat, case.published)

    answer = ask(client, case.trip)

    assert answer.status_code == 200, answer.json
    assert answer.json == {**run(case).as_json(), "demo": False}
    found = examined(answer.json, case)
    assert (found["verdict"], tuple(found["documents"])) == (case.verdict, case.documents)
    assert case.reason in [(reason["code"], reason["source"]) for reason in found["reasons"]]
    jsonschema.validate(answer.json, RESULT_SCHEMA)
    jsonschema.validate(case.trip, REQUEST_SCHEMA)


@pytest.mark.parametrize("body, path, words, _", BAD_REQUESTS, ids=[f"{path or 'body'}-{words}" for _, path, words, _ in BAD_REQUESTS])
def test_a_bad_request_is_422_naming_the_field(client, body, path, words, _):
    answer = ask(client, body)

    assert answer.status_code == 422
    assert answer.json["code"] == 422 and answer.json["status"] == "Unprocessable Entity"
    assert any(words in message for message in answer.json["errors"][path]), answer.json


@pytest.mark.parametrize("body, path, words, refused", BAD_REQUESTS, ids=[f"{path or 'body'}-{words}" for _, path, words, _ in BAD_REQUESTS])
def test_the_request_schema_refuses_what_it_can_tell_without_reference_data(body, path, words, refused):
    problems = list(jsonschema.Draft202012Validator(REQUEST_SCHEMA).iter_errors(body))

    assert bool(problems) == refused, [problem.message for problem in problems]


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (b'{"destination": "FR", "items": [{"substance": "morphine", "amount_mg": NaN}]}', 400),
    (b"\xff\xfe", 400),
    (b"[" * 100_000 + b"]" * 100_000, 400),
    (b'{"destination": "FR", "items": []}' + b" " * (1024 * 1024), 413),
])
def test_a_body_that_is_not_json_is_400_and_a_huge_one_413(client, body, status):
    answer = client.post("/api/v1/check", data=body, content_type="application/json")

    assert answer.status_code == status
    assert answer.json["code"] == status
    assert answer.json["message"] == {400: "The body is not a JSON document (UTF-8).", 413: "The body is over 1 MiB."}[status]


def count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


def test_a_check_stores_nothing_audits_nothing_logs_nothing_and_may_not_be_cached(app, client, secretariat, caplog):
    publish(client, secretariat, [("FR", "requirements", requirements(rule(["1971-II"], ["certificate"], "guideline")))])
    before = (count(app, Version), count(app, AuditRecord))
    caplog.set_level(logging.DEBUG)

    answer = ask(client, trip(item("methylphenidate", 1234.567, unit_doses=77), destination="FR", departure="DE", days=12))

    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert (count(app, Version), count(app, AuditRecord)) == before
    assert "1234.567" not in caplog.text and "methylphenidate" not in caplog.text


def test_the_check_is_a_post_only(client):
    assert client.get("/api/v1/check").status_code == 405


def test_the_openapi_description_has_the_check_with_its_request_and_result(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/check"]["post"]

    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CheckRequest"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/CheckResult"}
    assert {"400", "413", "422"} <= set(operation["responses"])
    request = spec["components"]["schemas"]["CheckRequest"]
    assert set(request["required"]) == {"destination", "items"}
    assert request["additionalProperties"] is False
    assert set(spec["components"]["schemas"]["CheckResult"]["properties"]) == set(RESULT_SCHEMA["properties"])


@pytest.fixture
def demo(app):
    with app.app_context():
        from registry.cli import demo as demonstration

        demonstration.load()


def test_a_child_on_methylphenidate_from_germany_to_france_through_switzerland(client, demo):
    answer = ask(client, trip(item("methylphenidate", 1080, unit_doses=60, form="tablet"),
                              destination="FR", departure="DE", transit=["CH"], days=30)).json

    france, switzerland = answer["countries"]
    assert answer["demo"] is True
    assert france["documents"] == ["schengen-certificate"]
    assert [reason["code"] for reason in france["items"][0]["reasons"]] == [
        "rule-always", "rule-amount-within", "certificate-issuer", "supply-within",
    ]
    assert {entry["section"] for entry in france["based_on"] if entry["country"] == "FR"} == {"requirements", "authorities"}
    assert any(office["country"] == "DE" and office["roles"] == ["certificates"] for office in france["authorities"])
    assert switzerland["based_on"] == [] and switzerland["documents"] == ["prescription"]
    assert answer["verdict"] == "documents-required"
    assert answer["documents"] == ["prescription", "schengen-certificate"]


def test_a_patient_on_methadone_cannot_bring_it_into_a_country_that_allows_no_traveller(client, demo):
    answer = ask(client, trip(item("methadone", 1800, unit_doses=30, form="oral-liquid"), destination="AE", departure="GB", days=14)).json

    emirates = answer["countries"][0]
    assert answer["verdict"] == "prohibited"
    assert emirates["items"][0]["reasons"][0]["code"] == "travellers-not-allowed"
    assert emirates["customs"]["declare_on_entry"] is True
    assert emirates["continuity"]["extension_possible"] is True


def test_the_api_keeps_field_paths_and_its_own_wording_where_the_page_speaks_to_people(client):
    answer = ask(client, trip(item("Ritalin", 100)))

    assert answer.status_code == 422
    [message] = answer.json["errors"]["items.0.substance"]
    assert message.startswith("'Ritalin' is not a known substance key; keys are lower-case INNs joined by '-', "
                              "as listed at /api/v1/substances. Did you mean ")
    assert "product 'ritalin-10-mg-tablet' (Ritalin 10 mg)" in message


def test_a_product_is_answered_with_how_its_total_was_counted_and_what_is_not_controlled(client):
    answer = ask(client, trip(product(SUBOXONE, 28), product(RITALIN, 60), item("methylphenidate", 400)))

    assert answer.status_code == 200, answer.json
    buprenorphine, methylphenidate, more = answer.json["countries"][0]["items"]
    assert buprenorphine["computed"] == {"product": SUBOXONE, "unit_doses": 28, "mg_per_unit": 8, "amount_mg": 224,
                                         "expressed_as": "base (as hydrochloride)"}
    assert buprenorphine["not_controlled"] == ["naloxone"]
    assert (methylphenidate["computed"]["amount_mg"], more["computed"]) == (600, None)
    assert [reason["params"]["amount_mg"] for reason in more["reasons"] if reason["code"] == "amount-total"] == [1000]


def test_the_served_result_schema_validates_the_answers_of_products_strengths_and_national_substances(client, secretariat):
    schema = client.get("/schemas/check-result.schema.json").json
    assert schema == RESULT_SCHEMA
    cases = [case for case in CASES if any("product" in entry or "amount_mg" not in entry for entry in case.trip["items"])
             or "tramadol" in str(case.trip)]
    assert len(cases) >= 5
    for case in cases:
        publish(client, secretariat, case.published)
        jsonschema.validate(ask(client, case.trip).json, schema)


def test_the_openapi_result_component_is_the_served_result_schema(client):
    components = client.get("/api/v1/openapi.json").json["components"]["schemas"]

    assert components["CheckResult"]["properties"].keys() == RESULT_SCHEMA["properties"].keys()
    assert components["CheckResult"]["properties"]["countries"]["items"]["properties"]["items"]["items"]["properties"]["computed"] \
        == _component(RESULT_SCHEMA["properties"]["countries"]["items"]["properties"]["items"]["items"]["properties"]["computed"])


def _component(schema):
    """A served schema's part as the OpenAPI description gives it: $defs references point at the components."""
    return json.loads(json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/'))
