"""Who may do what in the console: every write route against every kind of visitor, CSRF, throttling, revocation.

The API's own matrix is in tests/api/test_access.py; here the caller is a browser session.
"""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from registry import accounts

from registry.console import forms, sign_in as sign_in_limits
from registry.db import db
from registry.models import ApiToken, Confirmation, SignInAttempt, Version

from ..helpers import factories
from ..helpers.apps import make_app
from ..helpers.console import PASSWORD, csrf, form_of, sign_in

CALLERS = ["no session", "another country's session", "own session", "secretariat session"]
EMAILS = {"another country's session": "officer@de.example", "own session": "officer@fr.example",
          "secretariat session": "secretariat@registry.example"}
EDITED = factories.requirements(max_supply_days=45)


def editor_form(action: str) -> list[tuple[str, str]]:
    draft = forms.from_document("requirements", EDITED)
    return form_of(forms.SPECS["requirements"], draft.values) + [("action", action)]


# route: (method, path, form fields besides csrf_token and etag)
ROUTES = {
    "preview": ("POST", "/console/FR/requirements", editor_form("preview")),
    "publish": ("POST", "/console/FR/requirements", [("action", "publish"), ("document", json.dumps(EDITED))]),
    "back to editing": ("POST", "/console/FR/requirements", [("action", "edit"), ("document", json.dumps(EDITED))]),
    "add a row": ("POST", "/console/FR/requirements", editor_form("add:rules")),
    "remove a row": ("POST", "/console/FR/requirements", editor_form("remove:rules.0")),
    "confirm": ("POST", "/console/FR/requirements/confirm", []),
    "ask to withdraw": ("GET", "/console/FR/requirements/withdraw", []),
    "withdraw": ("POST", "/console/FR/requirements/withdraw", []),
    "create a token": ("POST", "/console/account", [("action", "create"), ("name", "script")]),
    "revoke the French officer's token": ("POST", "/console/account", [("action", "revoke")]),
    "sign out": ("POST", "/console/logout", []),
}
SIGN_IN, FORBIDDEN, OK, NO_SUCH_TOKEN = "sign in first", "403", "ok", "no such token"
SECTION_ROUTE = {"no session": SIGN_IN, "another country's session": FORBIDDEN, "own session": OK, "secretariat session": OK}
EXPECTED = {
    **{route: SECTION_ROUTE for route in ("preview", "publish", "back to editing", "add a row", "remove a row", "confirm",
                                          "ask to withdraw", "withdraw")},
    "create a token": {**dict.fromkeys(CALLERS, OK), "no session": SIGN_IN},
    "revoke the French officer's token": {"no session": SIGN_IN, "another country's session": NO_SUCH_TOKEN,
                                          "own session": OK, "secretariat session": NO_SUCH_TOKEN},
    "sign out": dict.fromkeys(CALLERS, OK),
}
# What a successful route leaves in the database, as differences from before: (versions, confirmations, live tokens).
STORED = {"publish": (1, 0, 0), "confirm": (0, 1, 0), "withdraw": (1, 0, 0), "create a token": (0, 0, 1),
          "revoke the French officer's token": (0, 0, -1)}


@pytest.fixture
def registry(app, client):
    """FR requirements version 1, an officer for FR and one for DE, a secretariat officer, and the FR officer's API token."""
    with app.app_context():
        for email in EMAILS.values():
            country = None if email.startswith("secretariat") else email.split("@")[1][:2].upper()
            accounts.add_account(email, country=country, secretariat=country is None, password=PASSWORD)
        row, token = accounts.add_token(accounts.find_account(EMAILS["own session"]), "laptop")
        token_id = row.id
    published = client.put("/api/v1/countries/FR/requirements", json=factories.requirements(),
                           headers={"Authorization": f"Bearer {token}", "If-None-Match": "*"})
    assert published.status_code == 201
    return {"etag": published.json["meta"]["hash"], "token_id": token_id, "token": token}


def counts(app) -> tuple[int, int, int]:
    """(versions, confirmations, live API tokens)."""
    with app.app_context():
        live = select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))
        return (db.session.query(Version).count(), db.session.query(Confirmation).count(), db.session.scalar(live))


def visit_as(client, caller: str) -> str:
    """Sign the client in as the caller (or not at all), and return a valid CSRF token of its session."""
    if caller == "no session":
        return csrf(client.get("/console/login"))
    assert sign_in(client, EMAILS[caller]).status_code == 302
    return csrf(client.get("/console/account"))


def call(client, route: str, registry: dict, *, csrf_token: str | None):
    method, path, fields = ROUTES[route]
    if method == "GET":
        return client.get(path)
    data = [*fields, ("etag", registry["etag"]), ("token", str(registry["token_id"]))]
    if csrf_token is not None:
        data.append(("csrf_token", csrf_token))
    return client.post(path, data=MultiDict(data))


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", list(ROUTES))
def test_each_console_route_answers_each_visitor_as_expected_and_a_refusal_stores_nothing(app, client, registry, route, caller):
    token = visit_as(client, caller)
    before = counts(app)

    response = call(client, route, registry, csrf_token=token)

    expected = EXPECTED[route][caller]
    after = counts(app)
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/console/login?next={ROUTES[route][1]}"
    elif expected == FORBIDDEN:
        assert response.status_code == 403
        assert "only the notification of Germany" in response.get_data(as_text=True)
    elif expected == NO_SUCH_TOKEN:
        assert response.headers["Location"] == "/console/account"
        assert "There is no such token." in client.get("/console/account").get_data(as_text=True)
    else:
        assert response.status_code in (200, 302), response.status_code
        assert tuple(now - then for now, then in zip(after, before)) == STORED.get(route, (0, 0, 0))
        return
    assert after == before


def test_a_publication_from_a_session_is_signed_by_the_sessions_account(client, registry):
    visit_as(client, "secretariat session")
    token = csrf(client.get("/console/FR/requirements"))
    call(client, "publish", registry, csrf_token=token)
    assert client.get("/api/v1/countries/FR/requirements").json["meta"]["published_by"] == "Registry secretariat"


@pytest.mark.parametrize("forged", ["missing", "from another session"])
@pytest.mark.parametrize("route", [route for route, (method, _, _) in ROUTES.items() if method == "POST"])
def test_a_console_form_without_its_sessions_csrf_token_is_refused_and_stores_nothing(app, client, registry, route, forged):
    other = app.test_client()
    foreign = visit_as(other, "own session")
    visit_as(client, "own session")
    before = counts(app)
    response = call(client, route, registry, csrf_token=None if forged == "missing" else foreign)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert counts(app) == before
    assert client.get("/console/FR/").status_code == 200  # still signed in: a refused form signs nobody out


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, registry):
    def answer(email: str) -> str:
        """The page, without the address typed in and without the form's CSRF token (which is signed with the time)."""
        response = sign_in(client, email, "not the password at all")
        assert response.status_code == 200
        return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True).replace(email, ""))

    assert answer(EMAILS["own session"]) == answer("nobody@fr.example")


def test_changing_address_does_not_escape_the_limit_on_one_account(client, registry):
    """Guesses spread over many addresses meet the account-wide ceiling (a few failures from
    others no longer lock the officer out: docs/deployment.md, "Sessions, sign-in and tokens")."""
    email = EMAILS["own session"]
    for number in range(sign_in_limits.PER_ACCOUNT):
        assert sign_in(client, email, "guess guess guess", address=f"203.0.{number // 200}.{number % 200}").status_code == 200
    assert sign_in(client, email, address="203.0.113.250").status_code == 429


def test_a_forged_x_forwarded_for_does_not_escape_the_limit_on_one_address(client, registry):
    """Without REGISTRY_PROXY_HOPS no proxy is trusted, so the header a client sends is not its address."""
    for number in range(20):
        token = csrf(client.get("/console/login"))
        client.post("/console/login", data={"csrf_token": token, "email": f"guess{number}@fr.example", "password": "guess guess"},
                    headers={"X-Forwarded-For": f"198.51.100.{number}"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    token = csrf(client.get("/console/login"))
    locked = client.post("/console/login", data={"csrf_token": token, "email": EMAILS["own session"], "password": PASSWORD},
                         headers={"X-Forwarded-For": "198.51.100.250"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert locked.status_code == 429


def test_behind_a_trusted_proxy_the_limit_applies_to_the_address_the_proxy_names(database_url, registry):
    proxied = make_app(database_url, REGISTRY_PROXY_HOPS=1).test_client()

    def attempt(client_address: str, email: str, password: str):
        token = csrf(proxied.get("/console/login"))
        return proxied.post("/console/login", data={"csrf_token": token, "email": email, "password": password},
                            headers={"X-Forwarded-For": client_address}, environ_base={"REMOTE_ADDR": "10.0.0.2"})

    for number in range(20):  # two clients behind the one proxy, ten failures each
        attempt(f"198.51.100.{number % 2}", f"guess{number}@fr.example", "guess guess guess")
    assert attempt("198.51.100.7", EMAILS["own session"], PASSWORD).status_code == 302


def test_the_lock_out_lifts_once_the_window_has_passed(app, client, registry):
    email = EMAILS["own session"]
    for _ in range(5):
        sign_in(client, email, "guess guess guess")
    assert sign_in(client, email).status_code == 429
    with app.app_context():
        db.session.execute(update(SignInAttempt).values(at=SignInAttempt.at - timedelta(minutes=16)))
        db.session.commit()
    assert sign_in(client, email).status_code == 302


ATTEMPTS = {
    "publish": lambda client, headers: client.put("/api/v1/countries/FR/requirements", json=EDITED, headers={**headers, "If-Match": "*"}),
    "withdraw": lambda client, headers: client.delete("/api/v1/countries/FR/requirements", headers={**headers, "If-Match": "*"}),
    "confirm": lambda client, headers: client.post("/api/v1/countries/FR/requirements/confirm", headers=headers),
}


def revoke_from_the_console(app, client, registry) -> None:
    token = visit_as(client, "own session")
    assert call(client, "revoke the French officer's token", registry, csrf_token=token).status_code == 302


def revoke_from_the_command_line(app, client, registry) -> None:
    revoked = app.test_cli_runner().invoke(args=["token", "revoke", str(registry["token_id"])])
    assert revoked.exit_code == 0, revoked.output


@pytest.mark.parametrize("attempt", list(ATTEMPTS))
@pytest.mark.parametrize("revoke", [revoke_from_the_console, revoke_from_the_command_line], ids=["console", "command line"])
def test_a_revoked_token_writes_nothing_through_any_api_route_in_any_worker(app, client, registry, database_url, revoke, attempt):
    with app.app_context():
        _, spare = accounts.add_token(accounts.find_account(EMAILS["own session"]), "spare")
    revoke(app, client, registry)
    before = counts(app)
    other_worker = make_app(database_url).test_client()
    for worker in (client, other_worker):
        refused = ATTEMPTS[attempt](worker, {"Authorization": f"Bearer {registry['token']}"})
        assert refused.status_code == 401, refused.json
    assert counts(app) == before
    assert ATTEMPTS[attempt](other_worker, {"Authorization": f"Bearer {spare}"}).status_code == 200  # the account's other token still writes
