"""Who may write what: every API write route, and every route of a section's draft, against every kind of caller."""
import pytest

from registry import accounts
from registry.db import db
from registry.models import ApiToken
from registry.workflow import drafts

from ..helpers import factories

CALLERS = ["no token", "malformed token", "wrong scheme", "revoked token", "disabled account's token", "another country's token",
           "own token", "country administrator's token", "secretariat token"]
EXPECTED = {
    "no token": 401, "malformed token": 401, "wrong scheme": 401, "revoked token": 401, "disabled account's token": 401,
    "another country's token": 403, "own token": "ok", "country administrator's token": "ok", "secretariat token": "ok",
}


def token_of(app, email: str, *, admin: bool = False, disabled: bool = False) -> dict:
    """An Authorization header for a new French account's token: an administrator, or an account disabled since."""
    with app.app_context():
        account = accounts.add_account(email, country="FR", secretariat=False, password=None, admin=admin)
        _, token = accounts.add_token(account, "test")
        if disabled:
            accounts.set_disabled(account.id, True)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def callers(app, authority):
    own, other, secretariat = authority("FR"), authority("DE"), authority(secretariat=True)
    revoked = authority("FR")
    with app.app_context():
        token_id = db.session.query(ApiToken).order_by(ApiToken.id.desc()).first().id
        accounts.revoke_token(token_id)
    return {
        "no token": {},
        "malformed token": {"Authorization": "Bearer"},
        "wrong scheme": {"Authorization": own["Authorization"].replace("Bearer", "Basic")},
        "revoked token": revoked,
        "disabled account's token": token_of(app, "disabled@fr.example", disabled=True),
        "another country's token": other,
        "own token": own,
        "country administrator's token": token_of(app, "chief@fr.example", admin=True),
        "secretariat token": secretariat,
    }


def publish_first(client, callers):
    response = client.put("/api/v1/countries/FR/requirements", json=factories.requirements(),
                          headers={**callers["own token"], "If-None-Match": "*"})
    return response.headers["ETag"]


ROUTES = {
    "publish": lambda client, headers, etag: client.put("/api/v1/countries/FR/requirements", json=factories.requirements(max_supply_days=45), headers={**headers, "If-Match": etag}),
    "withdraw": lambda client, headers, etag: client.delete("/api/v1/countries/FR/requirements", headers={**headers, "If-Match": etag}),
    "confirm": lambda client, headers, etag: client.post("/api/v1/countries/FR/requirements/confirm", headers=headers),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("caller", CALLERS)
def test_each_write_route_answers_each_caller_as_expected(client, callers, route, caller):
    etag = publish_first(client, callers)
    response = ROUTES[route](client, callers[caller], etag)
    expected = EXPECTED[caller]
    if expected == "ok":
        assert response.status_code == 200, response.json
    else:
        assert response.status_code == expected, response.json
        assert response.json["code"] == expected
        versions = client.get("/api/v1/countries/FR/requirements/versions").json["versions"]
        assert len(versions) == 1


DRAFT = "/api/v1/countries/FR/requirements/draft"
# route: (the draft's state before the call: None, "open" or "submitted"; the call)
DRAFT_ROUTES = {
    "read the draft": ("open", lambda client, headers: client.get(DRAFT, headers=headers)),
    "save a draft": (None, lambda client, headers: client.put(DRAFT, json=factories.requirements(max_supply_days=60), headers=headers)),
    "discard the draft": ("open", lambda client, headers: client.delete(DRAFT, headers=headers)),
    "submit the draft": ("open", lambda client, headers: client.post(f"{DRAFT}/submit", headers=headers)),
    "bring the draft up to date": ("open", lambda client, headers: client.post(f"{DRAFT}/rebase", headers=headers)),
    "approve the draft": ("submitted", lambda client, headers: client.post(f"{DRAFT}/approve", headers=headers)),
    "return the draft": ("submitted", lambda client, headers: client.post(f"{DRAFT}/return", json={"comment": "Why?"}, headers=headers)),
}


def draft_state(app) -> tuple | None:
    with app.app_context():
        draft = drafts.find("FR", "requirements")
        return None if draft is None else (draft.state, draft.document, draft.updated_at, draft.comment)


@pytest.mark.parametrize("route", list(DRAFT_ROUTES))
@pytest.mark.parametrize("caller", CALLERS)
def test_each_draft_route_answers_each_caller_as_expected_and_a_refusal_changes_nothing(app, client, callers, route, caller):
    publish_first(client, callers)
    submitter = token_of(app, "submitter@fr.example")
    state, call = DRAFT_ROUTES[route]
    if state is not None:
        client.put(DRAFT, json=factories.requirements(max_supply_days=45), headers=submitter)
    if state == "submitted":
        client.post(f"{DRAFT}/submit", headers=submitter)
    before = draft_state(app)

    response = call(client, callers[caller])

    expected = EXPECTED[caller]
    versions = client.get("/api/v1/countries/FR/requirements/versions").json["versions"]
    if expected == "ok":
        assert response.status_code in (200, 201, 204), response.json
        assert len(versions) == (2 if route == "approve the draft" else 1)
        return
    assert response.status_code == expected, response.json
    assert response.json["code"] == expected
    assert draft_state(app) == before and len(versions) == 1
