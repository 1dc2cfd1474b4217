"""The JSON Schemas in schemas/: generated, valid, in agreement with the registry's validation, served."""
import json

import pytest
from jsonschema import Draft202012Validator

from registry import json_schemas as request_schemas
from registry.exports import schemas as json_schemas
from registry.documents import validate_document

from ..helpers import factories
from ..helpers.exports import SCHEMAS, validator
from ..helpers.factories import ban, rule

def schema_accepts(section: str, document) -> bool:
    return validator(section).is_valid(document)


def registry_accepts(section: str, document) -> bool:
    return validate_document(section, document) == {}


def authority(**fields):
    return {**factories.authorities()["authorities"][0], **fields}


def without(document: dict, name: str) -> dict:
    return {key: value for key, value in document.items() if key != name}


R, A, B = factories.requirements, factories.authorities, factories.import_bans

# (section, document, whether both the registry and the schema accept it)
CASES = [
    ("requirements", R(), True),
    ("requirements", {"effective_from": "2026-01-01", "travellers_allowed": "no", "rules": [],
                      "customs": {"declare_on_entry": False, "endorsement": False, "show_on_request": False}}, True),
    ("requirements", R(travellers_allowed="maybe"), False),
    ("requirements", R(travellers_allowed=True), False),
    ("requirements", R(max_supply_days="30"), False),
    ("requirements", R(max_supply_days=30.5), False),
    ("requirements", R(max_supply_days=30.0), True),
    ("requirements", R(max_supply_days=0), False),
    ("requirements", R(max_supply_days=3650), True),
    ("requirements", R(max_supply_days=3651), False),
    ("requirements", R(max_supply_days=True), False),
    ("requirements", R(retail_package_exemption="yes"), False),
    ("requirements", R(passport_required=True), False),
    ("requirements", without(R(), "customs"), False),
    ("requirements", without(R(), "rules"), False),
    ("requirements", R(customs=None), False),
    ("requirements", R(customs={"declare_on_entry": True, "endorsement": False}), False),
    ("requirements", R(rules=[rule(colour="red")]), False),
    ("requirements", R(rules=[rule(documents=["prescription", "passport"])]), False),
    ("requirements", R(rules=[rule(documents=[])]), False),
    ("requirements", R(rules=[rule(documents=["prescription", "prescription"])]), False),
    ("requirements", R(rules=[rule(applies_to=["unobtainium"])]), False),
    ("requirements", R(rules=[rule(applies_to=["1961-V"])]), False),
    ("requirements", R(rules=[rule(applies_to=["1971-IV", "methadone"])]), True),
    ("requirements", R(rules=[rule(threshold="amount", threshold_mg=100)]), False),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=100)]), True),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=0.5)]), True),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount")]), False),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=-5)]), False),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=0)]), False),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=10_000_001)]), False),
    ("requirements", R(rules=[rule(threshold="days")]), False),
    ("requirements", R(rules=[rule(threshold="days", threshold_days=30)]), True),
    ("requirements", R(rules=[rule(threshold_mg=10)]), False),
    ("requirements", R(rules=[rule(threshold_days=10)]), False),
    ("requirements", R(rules=[rule(permit_lead_days=5)]), False),
    ("requirements", R(rules=[rule(documents=["import-permit"], permit_lead_days=5)]), True),
    ("requirements", R(rules=[rule(documents=["import-permit"], permit_lead_days=366)]), False),
    ("requirements", R(rules="none"), False),
    ("requirements", R(rules=[rule()] * 201), False),
    ("requirements", R(effective_from="2026-02-30"), False),
    ("requirements", R(effective_from="01/03/2026"), False),
    ("requirements", R(effective_from="2026-03-01\n"), False),
    ("requirements", R(document_languages=["fr", "english"]), False),
    ("requirements", R(document_languages=["fr", "fr"]), False),
    ("requirements", R(document_languages=[]), True),
    ("requirements", R(notes={"xx": "hello"}), False),
    ("requirements", R(notes={"EN": "hello"}), False),
    ("requirements", R(notes={"en": "two\nlines are fine"}), True),
    ("requirements", R(notes={"en": "bell \u0007 here"}), False),
    ("requirements", R(notes={"en": "tab\there"}), False),
    ("requirements", R(notes={"en": "lone \ud800 surrogate"}), False),
    ("requirements", R(notes={"en": "non-character \ufffe"}), False),
    ("requirements", R(notes={"en": "   "}), False),
    ("requirements", R(notes={"en": "x" * 10_000}), True),
    ("requirements", R(notes={"en": "x" * 10_001}), False),
    ("requirements", R(notes={}), False),
    ("requirements", R(notes="hello"), False),
    ("requirements", R(transit="own-rules"), False),
    ("requirements", R(transit="own-rules", transit_notes={"en": "Carry a certificate."}), True),
    ("requirements", R(transit_notes={"en": "Carry a certificate."}), False),
    ("requirements", R(transit="by-boat"), False),
    ("requirements", R(supply_exceptions=[{"substances": ["unobtainium"], "max_supply_days": 90}]), False),
    ("requirements", R(supply_exceptions=[{"substances": [], "max_supply_days": 90}]), False),
    ("requirements", R(supply_exceptions=[{"substances": ["diazepam"], "max_supply_days": 90, "reason": {"zh": "抗惊厥"}}]), True),
    ("requirements", R(treatment_continuity={"how": {"en": "Ask."}}), False),
    ("requirements", R(legal_basis=[{"title": "Decree", "url": "javascript:alert(1)"}]), False),
    ("requirements", R(legal_basis=[{"title": "Decree", "url": "https://example.org/decree?id=4#art-2"}]), True),
    ("requirements", R(legal_basis=[{"title": "Decree", "url": "ftp://example.org/decree"}]), False),
    ("requirements", R(legal_basis=[{"title": "Decree\nof 2025"}]), False),
    ("requirements", R(legal_basis=[{"title": "x" * 600}]), True),
    ("requirements", R(legal_basis=[{"title": "x" * 601}]), False),
    ("requirements", R(**{"bad\ud800key": 1}), False),
    ("requirements", [], False),
    ("requirements", None, False),
    ("authorities", A(), True),
    ("authorities", A(authorities=[authority(phone="01 55 87 30 00")]), False),
    ("authorities", A(authorities=[authority(phone="+1 202 555 0100", fax="+1 202 555 0101")]), True),
    ("authorities", A(authorities=[authority(email="not-an-address")]), False),
    ("authorities", A(authorities=[authority(email=None, website=None, phone=None)]), True),
    ("authorities", A(authorities=[authority(roles=["permits", "catering"])]), False),
    ("authorities", A(authorities=[authority(roles=[])]), False),
    ("authorities", A(authorities=[authority(address={"lines": ["1 rue"], "city": "Paris", "country": "FX"})]), False),
    ("authorities", A(authorities=[authority(address={"lines": ["1 rue", "1 rue"], "city": "Paris", "country": "FR"})]), True),
    ("authorities", A(authorities=[authority(address={"lines": [], "city": "Paris", "country": "FR"})]), False),
    ("authorities", A(authorities=[authority(address={"lines": ["1 rue"], "city": "Paris", "postal_code": None, "country": "FR"})]), True),
    ("authorities", A(authorities=[authority(address={"lines": ["1 rue"], "city": "Paris", "country": "FR", "floor": 2})]), False),
    ("authorities", A(authorities=[authority(name="Line\nbreak")]), False),
    ("authorities", A(authorities=[authority(name="")]), False),
    ("authorities", A(authorities=[authority(languages=["fr", "zz"])]), False),
    ("authorities", A(authorities=[authority(notes={"en": "Open 9 to 5."})]), True),
    ("authorities", A(authorities=[]), False),
    ("authorities", A(authorities=[authority()] * 51), False),
    ("import-bans", B(), True),
    ("import-bans", B(bans=[]), True),
    ("import-bans", B(bans=[ban(substance="morphine")]), False),
    ("import-bans", B(bans=[ban(substance="heroin")]), False),
    ("import-bans", B(bans=[ban(substance="lysergide")]), False),
    ("import-bans", B(bans=[ban(substance="unobtainium")]), False),
    ("import-bans", B(bans=[ban(substance="phenobarbital", region="Bavaria", reference=None)]), True),
    ("import-bans", B(bans=[ban(), ban(region="Bavaria")]), True),
    ("import-bans", B(bans=[ban(since="yesterday")]), False),
    ("import-bans", B(bans=[ban(special_licence=None)]), False),
    ("import-bans", B(bans=[ban(region="")]), False),
    ("import-bans", B(bans=[ban(reference="x" * 201)]), False),
    ("import-bans", {"effective_from": "2026-01-01"}, False),
]


@pytest.mark.parametrize("section,document,accepted", CASES, ids=[f"{index}-{case[0]}" for index, case in enumerate(CASES)])
def test_the_json_schema_and_the_registry_accept_and_refuse_the_same_documents(section, document, accepted):
    assert registry_accepts(section, document) is accepted
    assert schema_accepts(section, document) is accepted


# What the registry refuses and JSON Schema cannot express; each schema says so in its description.
LOOSER = [
    ("import-bans", B(bans=[ban(), ban(since="2021-01-01")]), "same substance"),
]


@pytest.mark.parametrize("section,document,said", LOOSER, ids=[case[0] for case in LOOSER])
def test_the_schema_is_looser_only_where_it_says_so(section, document, said):
    assert not registry_accepts(section, document)
    assert schema_accepts(section, document)
    assert said in json.loads((SCHEMAS / f"{section}.schema.json").read_text())["description"]


def test_every_demonstration_document_is_accepted_by_both():
    from registry.cli import demo

    for item in demo.publications():
        if item["action"] == "publish":
            assert registry_accepts(item["section"], item["document"])
            assert schema_accepts(item["section"], item["document"]), (item["country"], item["section"])


def test_the_committed_schemas_are_what_the_generator_writes():
    stale = [name for name, schema in json_schemas.generated().items()
             if (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8") != json_schemas.render(schema)]
    assert stale == [], "run: python -m registry.exports.schemas"


def test_every_schema_file_is_a_json_schema_2020_12():
    files = sorted(SCHEMAS.glob("*.schema.json"))
    assert {path.name for path in files} >= {f"{name}.schema.json" for name in json_schemas.generated()}
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == json_schemas.DIALECT
        Draft202012Validator.check_schema(schema)


def test_every_schema_file_is_served_as_it_is_in_the_repository(client):
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        response = client.get(f"/schemas/{path.name}")
        assert response.status_code == 200
        assert response.data == path.read_bytes()
        assert response.mimetype == "application/schema+json"
        again = client.get(f"/schemas/{path.name}", headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("name", ["nothing", "..%2Fpyproject", "requirements.json", "REQUIREMENTS"])
def test_an_unknown_schema_is_404_in_json(client, name):
    response = client.get(f"/schemas/{name}.schema.json")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_the_schemas_describe_every_field_the_documents_allow():
    """A field added to a document schema without a JSON Schema mapping fails generation, not silently."""
    from registry import documents

    for section, schema_class in documents.SCHEMAS.items():
        described = request_schemas.request_schema(section)["properties"]
        assert set(described) == set(schema_class._declared_fields)


def test_the_language_list_is_the_reference_data_s():
    from registry import reference

    languages = request_schemas.languages()
    assert "en" in languages and "zh" in languages and len(languages) == len(set(languages)) > 150
    assert all(reference.is_language(code) for code in languages)



def test_every_product_is_valid_against_the_product_schema_on_its_own():
    from registry import reference

    schema = json.loads((SCHEMAS / "product.schema.json").read_text(encoding="utf-8"))
    checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert reference.products()
    for product in reference.products().values():
        checker.validate(product.as_json())


@pytest.mark.parametrize("change", [
    lambda product: product.update(form="powder"),
    lambda product: product.update(colour="blue"),
    lambda product: product["ingredients"][0].update(control="regional"),
    lambda product: product["ingredients"][0].update(mg_per_unit="10 mg"),
    lambda product: product["ingredients"][0].pop("expressed_as"),
], ids=["form", "unknown-field", "control", "mg-as-text", "no-expressed-as"])
def test_the_product_schema_refuses_what_no_product_is(change):
    from registry import reference

    schema = json.loads((SCHEMAS / "product.schema.json").read_text(encoding="utf-8"))
    product = reference.product("ritalin-10-mg-tablet").as_json()
    change(product)
    assert not Draft202012Validator(schema).is_valid(product)


def test_the_product_schema_describes_every_field_of_a_product():
    """A field added to Product.as_json without one in ProductOut fails here, not in a researcher's validator."""
    from registry import reference

    described = request_schemas.request_schema("product")
    product = reference.product("suboxone-8-mg-2-mg-sublingual-tablet").as_json()
    assert set(described["properties"]) == set(product)
    assert set(described["properties"]["ingredients"]["items"]["properties"]) == set(product["ingredients"][0])
