"""A section's draft through the API: saved, read, discarded, submitted, approved (never by its submitter) and
returned; private to the country's accounts and the secretariat, and never in a public read, a feed or an export."""
import pytest

from registry import accounts
from registry.db import db
from registry.models import AuditRecord
from registry.workflow import drafts

from ..helpers import factories
from ..helpers.api import publish, version_count

DRAFT = "/api/v1/countries/FR/requirements/draft"
SECRET = "A RULE NOBODY MAY READ YET"


@pytest.fixture
def france(app, authority):
    """Authorization headers of three French officers."""
    return {"officer": authority("FR"), "colleague": authority("FR"), "third": authority("FR")}


def require_approval(app, country: str) -> None:
    with app.app_context():
        drafts.set_requires_approval(accounts.add_account(f"admin@{country.lower()}.example", country=country,
                                                          secretariat=False, password=None, admin=True), country, True)


def unpublished() -> dict:
    return factories.requirements(notes={"en": SECRET})


def test_a_draft_is_saved_read_replaced_and_discarded_without_publishing_anything(app, client, france):
    begun = client.put(DRAFT, json={"effective_from": "2026-03-01"}, headers=france["officer"])  # not valid yet: kept
    assert begun.status_code == 201 and begun.json["state"] == "open" and begun.json["base_version"] is None
    assert begun.headers["Cache-Control"] == "no-store"
    replaced = client.put(DRAFT, json=unpublished(), headers=france["colleague"])
    assert replaced.status_code == 200
    read = client.get(DRAFT, headers=france["officer"])
    assert read.json["document"] == unpublished() and read.json["updated_by"].endswith("@fr.example")
    assert read.json["differences"][0] == "First notification of documentary requirements."
    assert version_count(app) == 0
    assert client.delete(DRAFT, headers=france["officer"]).status_code == 204
    assert client.get(DRAFT, headers=france["officer"]).status_code == 404


def test_a_null_draft_withdraws_the_section_once_approved(app, client, france):
    publish(client, france["officer"], "FR", "requirements", factories.requirements())
    withdrawal = client.put(DRAFT, data="null", content_type="application/json", headers=france["officer"])
    assert withdrawal.json["document"] is None
    client.post(f"{DRAFT}/submit", headers=france["officer"])
    approved = client.post(f"{DRAFT}/approve", headers=france["colleague"])
    assert approved.status_code == 200 and approved.json["meta"]["withdrawn"] is True


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "3"])
def test_a_draft_is_an_object_or_null(client, france, body):
    refused = client.put(DRAFT, data=body, content_type="application/json", headers=france["officer"])
    assert refused.status_code == 422 and refused.json["code"] == 422


def test_approval_publishes_the_draft_naming_the_approver_and_self_approval_is_refused(app, client, france):
    require_approval(app, "FR")
    refused = client.put("/api/v1/countries/FR/requirements", json=factories.requirements(),
                         headers={**france["officer"], "If-None-Match": "*"})
    assert refused.status_code == 403 and "Drafts and approval" in refused.json["message"]

    client.put(DRAFT, json=factories.requirements(), headers=france["officer"])
    submitted = client.post(f"{DRAFT}/submit", headers=france["officer"])
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"
    assert client.put(DRAFT, json=unpublished(), headers=france["colleague"]).status_code == 409  # locked while submitted
    own = client.post(f"{DRAFT}/approve", headers=france["officer"])
    assert own.status_code == 403 and "own draft" in own.json["message"]
    assert version_count(app) == 0

    approved = client.post(f"{DRAFT}/approve", headers=france["colleague"])
    assert approved.status_code == 201
    assert approved.headers["Location"] == "/api/v1/countries/FR/requirements/versions/1"
    assert approved.json["meta"]["approved_by"] == approved.json["meta"]["published_by"] == "Competent authority of France"
    assert client.get("/api/v1/countries/FR/requirements").json["meta"]["approved_by"] == "Competent authority of France"
    assert client.get(DRAFT, headers=france["officer"]).status_code == 404  # published: the draft is spent


def test_a_returned_draft_carries_the_comment_until_it_is_submitted_again(client, france):
    client.put(DRAFT, json=factories.requirements(), headers=france["officer"])
    assert client.post(f"{DRAFT}/return", json={"comment": "Too early"}, headers=france["colleague"]).status_code == 409
    client.post(f"{DRAFT}/submit", headers=france["officer"])
    assert client.post(f"{DRAFT}/return", json={"comment": "Mine"}, headers=france["officer"]).status_code == 403
    assert client.post(f"{DRAFT}/return", json={"comment": " "}, headers=france["colleague"]).status_code == 422
    assert client.post(f"{DRAFT}/return", json={"note": "x"}, headers=france["colleague"]).status_code == 422
    returned = client.post(f"{DRAFT}/return", json={"comment": "Give the reference of the decree."}, headers=france["colleague"])
    assert returned.status_code == 200
    assert (returned.json["state"], returned.json["comment"]) == ("returned", "Give the reference of the decree.")
    assert client.get(DRAFT, headers=france["officer"]).json["returned_by"].endswith("@fr.example")
    assert client.post(f"{DRAFT}/submit", headers=france["officer"]).json["comment"] is None


def test_a_draft_overtaken_by_a_publication_is_refused_until_brought_up_to_date(client, france):
    publish(client, france["third"], "FR", "requirements", factories.requirements())
    client.put(DRAFT, json=factories.requirements(max_supply_days=60), headers=france["officer"])
    publish(client, france["third"], "FR", "requirements", factories.requirements(max_supply_days=45))
    client.post(f"{DRAFT}/submit", headers=france["officer"])
    draft = client.get(DRAFT, headers=france["officer"]).json
    assert (draft["base_version"], draft["published_since"]) == (1, [2])
    assert client.post(f"{DRAFT}/approve", headers=france["colleague"]).status_code == 412
    rebased = client.post(f"{DRAFT}/rebase", headers=france["colleague"]).json
    assert (rebased["base_version"], rebased["published_since"]) == (2, [])
    assert rebased["differences"] == ["Maximum supply (days) changed from 45 to 60."]
    assert client.post(f"{DRAFT}/approve", headers=france["colleague"]).json["meta"]["version"] == 3


def test_a_draft_is_never_in_a_public_read_a_feed_or_an_export(client, france):
    publish(client, france["officer"], "FR", "requirements", factories.requirements())
    client.put(DRAFT, json=unpublished(), headers=france["officer"])
    client.post(f"{DRAFT}/submit", headers=france["officer"])
    public = ["/api/v1/countries", "/api/v1/countries/FR", "/api/v1/countries/FR/requirements",
              "/api/v1/countries/FR/requirements/versions", "/api/v1/countries/FR/requirements/versions/1",
              "/api/v1/changes", "/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/requirements.atom",
              "/exports/registry.json", "/exports/changes.jsonl", "/countries/FR", "/countries/FR/requirements/versions/1"]
    for path in public:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert SECRET not in answer.get_data(as_text=True), path
    assert client.get(DRAFT).status_code == 401  # reading a draft needs a token, too


def test_another_countrys_account_neither_reads_nor_writes_a_draft(client, france, authority):
    client.put(DRAFT, json=unpublished(), headers=france["officer"])
    german = authority("DE")
    assert client.get(DRAFT, headers=german).status_code == 403
    assert client.put(DRAFT, json={}, headers=german).status_code == 403
    assert client.get(DRAFT, headers=france["officer"]).json["document"] == unpublished()


def test_draft_writes_are_audited_and_an_unknown_country_is_404(app, client, france, secretariat):
    client.put(DRAFT, json={}, headers=france["officer"])
    assert client.put("/api/v1/countries/XX/requirements/draft", json={}, headers=secretariat).status_code == 404
    assert client.put("/api/v1/countries/FR/rules/draft", json={}, headers=secretariat).status_code == 404
    assert client.put(DRAFT, json={}).status_code == 401
    with app.app_context():
        actions = [(row.action, row.outcome) for row in db.session.query(AuditRecord).order_by(AuditRecord.id)]
    assert ("draft-save", "ok") in actions and ("draft-save", "refused") in actions


def test_the_draft_routes_are_described_in_the_openapi_description(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    base = "/api/v1/countries/{country}/{section}/draft"
    assert {"get", "put", "delete"} <= set(paths[base])
    for action in ("submit", "approve", "return", "rebase"):
        assert "post" in paths[f"{base}/{action}"], action
