"""Who may write what: every API write route against every kind of caller."""
import pytest

from registry import accounts
from registry.db import db
from registry.models import ApiToken

from ..helpers import factories

CALLERS = ["no token", "malformed token", "wrong scheme", "revoked token", "another country's token", "own token", "secretariat token"]
EXPECTED = {
    "no token": 401, "malformed token": 401, "wrong scheme": 401, "revoked token": 401,
    "another country's token": 403, "own token": "ok", "secretariat token": "ok",
}


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
        "another country's token": other,
        "own token": own,
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
