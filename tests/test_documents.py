"""Bad input is refused with the field named, and nothing is stored (docs/api.md, "Bad input")."""
import json

import pytest

from registry.documents import validate_document
from registry.db import db
from registry.models import Version

from .helpers import factories
from .helpers.factories import ban, rule


def authority(**fields):
    base = factories.authorities()["authorities"][0]
    base.update(fields)
    return base


R, A, B = factories.requirements, factories.authorities, factories.import_bans

# (section, document, the field path the answer must name, a word the message must contain)
BAD_DOCUMENTS = [
    ("requirements", R(travellers_allowed=True), "travellers_allowed", "allowed: yes, restricted, no"),
    ("requirements", R(travellers_allowed="maybe"), "travellers_allowed", "not a value"),
    ("requirements", R(max_supply_days="30"), "max_supply_days", "whole number"),
    ("requirements", R(max_supply_days=30.5), "max_supply_days", "whole number"),
    ("requirements", R(max_supply_days=0), "max_supply_days", "between 1"),
    ("requirements", R(retail_package_exemption="yes"), "retail_package_exemption", "true or false"),
    ("requirements", R(passport_required=True), "passport_required", "Unknown field"),
    ("requirements", R(rules=[rule(colour="red")]), "rules.0.colour", "Unknown field"),
    ("requirements", R(rules=[rule(documents=["prescription", "passport"])]), "rules.0.documents.1", "not a document kind"),
    ("requirements", R(rules=[rule(documents=[])]), "rules.0.documents", "at least 1"),
    ("requirements", R(rules=[rule(applies_to=["unobtainium"])]), "rules.0.applies_to.0", "neither a schedule class"),
    ("requirements", R(rules=[rule(applies_to=["1961-V"])]), "rules.0.applies_to.0", "neither a schedule class"),
    ("requirements", R(rules=[rule(threshold="amount", threshold_mg=100)]), "rules.0.threshold", "only to substance keys"),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount")]), "rules.0.threshold_mg", "needs threshold_mg"),
    ("requirements", R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=-5)]), "rules.0.threshold_mg", "at least 0.001"),
    ("requirements", R(rules=[rule(threshold="days")]), "rules.0.threshold_days", "needs threshold_days"),
    ("requirements", R(rules=[rule(threshold_mg=10)]), "rules.0.threshold_mg", "only with threshold 'amount'"),
    ("requirements", R(rules=[rule(permit_lead_days=5)]), "rules.0.permit_lead_days", "import-permit"),
    ("requirements", R(rules="none"), "rules", "list"),
    ("requirements", {k: v for k, v in R().items() if k != "customs"}, "customs", "required"),
    ("requirements", R(customs={"declare_on_entry": True, "endorsement": False}), "customs.show_on_request", "required"),
    ("requirements", R(effective_from="2026-02-30"), "effective_from", "not a real date"),
    ("requirements", R(effective_from="01/03/2026"), "effective_from", "YYYY-MM-DD"),
    ("requirements", R(document_languages=["fr", "english"]), "document_languages.1", "ISO 639-1"),
    ("requirements", R(document_languages=["fr", "fr"]), "document_languages.1", "listed twice"),
    ("requirements", R(notes={"xx": "hello"}), "notes.xx", "ISO 639-1"),
    ("requirements", R(notes={"en": "bell \u0007 here"}), "notes.en", "control character"),
    ("requirements", R(notes={"en": "x" * 10_001}), "notes.en", "at most 10000"),
    ("requirements", R(notes={}), "notes", "at least one language"),
    ("requirements", R(transit="own-rules"), "transit_notes", "needs transit_notes"),
    ("requirements", R(supply_exceptions=[{"substances": ["unobtainium"], "max_supply_days": 90}]), "supply_exceptions.0.substances.0", "not a known substance"),
    ("requirements", R(legal_basis=[{"title": "Decree", "url": "javascript:alert(1)"}]), "legal_basis.0.url", "http"),
    ("authorities", A(authorities=[authority(phone="01 55 87 30 00")]), "authorities.0.phone", "international form"),
    ("authorities", A(authorities=[authority(phone="+33 1 55 87 30 00\n")]), "authorities.0.phone", "international form"),
    ("authorities", A(authorities=[authority(email="not-an-address")]), "authorities.0.email", "e-mail"),
    ("authorities", A(authorities=[authority(roles=["permits", "catering"])]), "authorities.0.roles.1", "not a role"),
    ("authorities", A(authorities=[authority(address={"lines": ["1 rue"], "city": "Paris", "country": "FX"})]), "authorities.0.address.country", "ISO 3166-1"),
    ("authorities", A(authorities=[authority(name="Line\nbreak")]), "authorities.0.name", "line breaks"),
    ("authorities", A(authorities=[]), "authorities", "between 1"),
    ("import-bans", B(bans=[ban(substance="morphine")]), "bans.0.substance", "Article 13"),
    ("import-bans", B(bans=[ban(substance="heroin")]), "bans.0.substance", "Article 13"),
    ("import-bans", B(bans=[ban(substance="lysergide")]), "bans.0.substance", "Article 13"),
    ("import-bans", B(bans=[ban(), ban()]), "bans.1.substance", "already banned for the same region at bans.0"),
    ("import-bans", B(bans=[ban(since="yesterday")]), "bans.0.since", "YYYY-MM-DD"),
    ("import-bans", B(bans=[ban(special_licence=None)]), "bans.0.special_licence", "null"),
    ("import-bans", {"effective_from": "2026-01-01"}, "bans", "required"),
    ("import-bans", B(**{"bad\ud800key": 1}), "bad\ud800key", "surrogate"),
]


@pytest.mark.parametrize("section,document,path,words", BAD_DOCUMENTS, ids=[f"{case[0]}:{case[2]}" for case in BAD_DOCUMENTS])
def test_an_invalid_document_is_refused_naming_the_field_and_nothing_is_stored(app, client, authority, section, document, path, words):
    body = json.dumps(document, ensure_ascii=True)
    response = client.put(f"/api/v1/countries/FR/{section}", data=body, content_type="application/json",
                          headers={**authority("FR"), "If-None-Match": "*"})
    assert response.status_code == 422, response.json
    errors = response.json["errors"]
    assert path in errors, errors
    assert any(words in message for message in errors[path]), errors[path]
    with app.app_context():
        assert db.session.query(Version).count() == 0


@pytest.mark.parametrize("body,status", [
    (b"{not json", 400),
    (b"\xff\xfe\x00", 400),
    (b'{"effective_from": NaN}', 400),
    (b"[" * 100_000, 400),
    (b'{"x": "' + b"a" * (1024 * 1024) + b'"}', 413),
    (b'"just a string"', 422),
    (b"[]", 422),
])
def test_a_body_that_is_not_a_json_object_is_refused(app, client, authority, body, status):
    response = client.put("/api/v1/countries/FR/requirements", data=body, content_type="application/json",
                          headers={**authority("FR"), "If-None-Match": "*"})
    assert response.status_code == status
    assert response.json["code"] == status
    with app.app_context():
        assert db.session.query(Version).count() == 0


@pytest.mark.parametrize("section", ["requirements", "authorities", "import-bans"])
def test_the_example_documents_are_valid(ctx, section):
    assert validate_document(section, factories.DOCUMENTS[section]()) == {}


def test_every_problem_is_reported_at_once(ctx):
    problems = validate_document("requirements", R(travellers_allowed="maybe", max_supply_days=-1, colour="red"))
    assert set(problems) == {"travellers_allowed", "max_supply_days", "colour"}


def test_hostile_but_valid_text_is_accepted_as_is(ctx):
    text = "<script>alert('x')</script> \u202eRTL\u202c مرحبا 你好 Привет ¡Hola! & \"quotes\"\nnext line"
    assert validate_document("requirements", R(notes={"en": text, "ar": text, "zh": text, "ru": text, "es": text, "fr": text})) == {}


def test_whole_numbers_are_stored_as_integers_so_any_language_hashes_alike(client, authority):
    document = R(rules=[rule(applies_to=["morphine"], threshold="amount", threshold_mg=1000.0)], max_supply_days=30)
    published = client.put("/api/v1/countries/FR/requirements", json=document, headers={**authority("FR"), "If-None-Match": "*"})
    assert published.status_code == 201
    stored = client.get("/api/v1/countries/FR/requirements").get_data(as_text=True)
    assert '"threshold_mg":1000' in stored.replace(" ", "") and "1000.0" not in stored
