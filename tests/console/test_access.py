"""Who may do what in the console: every write route against every kind of visitor, CSRF, throttling, revocation;
the routes of accounts, the secretariat's view, drafts and approval, and questions between countries against every
kind of account.

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
from registry.models import Account, ApiToken, Confirmation, Invitation, Question, QuestionMessage, SignInAttempt, Version
from registry.publishing import Actor, Precondition, publish, requires_approval
from registry.workflow import drafts, questions, reconfirmation

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


# -- accounts managed in the console, invitations and the secretariat's view -----------------------------------------
# Every kind of account against every route of registry/console/people.py and secretariat.py.

PEOPLE_CALLERS = ["no session", "officer", "another country's administrator", "country administrator", "secretariat",
                  "disabled account"]
PEOPLE_EMAILS = {"officer": "officer@fr.example", "another country's administrator": "chief@de.example",
                 "country administrator": "chief@fr.example", "secretariat": "desk@registry.example",
                 "disabled account": "leaving@fr.example"}
# Who is acted on: target (disable, make administrator, revoke its token), deputy (an administrator),
# away (disabled), pending (invited, no password yet).
PEOPLE_TARGETS = {"target": ("target@fr.example", False), "deputy": ("deputy@fr.example", True),
                  "away": ("away@fr.example", False), "pending": ("pending@fr.example", False)}
# route: (method, path, form fields besides csrf_token); {token}, {target}… are filled in from the fixture.
PEOPLE_ROUTES = {
    "accounts: home": ("GET", "/console/people", []),
    "accounts: a country's": ("GET", "/console/people/FR", []),
    "accounts: invite": ("POST", "/console/people/FR", [("action", "invite"), ("email", "new@fr.example")]),
    "accounts: send a new link": ("POST", "/console/people/FR", [("action", "new-link"), ("account", "{pending}")]),
    "accounts: make administrator": ("POST", "/console/people/FR", [("action", "make-admin"), ("account", "{target}")]),
    "accounts: end administrator": ("POST", "/console/people/FR", [("action", "unmake-admin"), ("account", "{deputy}")]),
    "accounts: disable": ("POST", "/console/people/FR", [("action", "disable"), ("account", "{target}")]),
    "accounts: enable": ("POST", "/console/people/FR", [("action", "enable"), ("account", "{away}")]),
    "accounts: revoke a token": ("POST", "/console/people/FR", [("action", "revoke"), ("token", "{token}")]),
    "accounts: invite to the secretariat": ("POST", "/console/people", [("action", "invite"), ("email", "new@registry.example")]),
    "invitation: the page": ("GET", "/console/invitation/{invitation}", []),
    "invitation: set the password": ("POST", "/console/invitation/{invitation}",
                                     [("password", "a long new password"), ("password_again", "a long new password")]),
    "secretariat: the view": ("GET", "/console/secretariat", []),
    "secretariat: the CSV": ("GET", "/console/secretariat.csv", []),
    "secretariat: the confirmation cycle": ("POST", "/console/secretariat/cycle", [("months", "6")]),
    "secretariat: the subscriptions": ("GET", "/console/subscriptions", []),
}
ADMINISTERS_FR = {"no session": SIGN_IN, "officer": FORBIDDEN, "another country's administrator": FORBIDDEN,
                  "country administrator": OK, "secretariat": OK, "disabled account": SIGN_IN}
SECRETARIAT_ONLY = {**ADMINISTERS_FR, "country administrator": FORBIDDEN}
PEOPLE_EXPECTED = {
    **{route: ADMINISTERS_FR for route in PEOPLE_ROUTES if route.startswith("accounts: ")},
    "accounts: home": {**ADMINISTERS_FR, "another country's administrator": OK},  # sent to their own country's page
    "accounts: invite to the secretariat": SECRETARIAT_ONLY,
    **{route: dict.fromkeys(PEOPLE_CALLERS, OK) for route in PEOPLE_ROUTES if route.startswith("invitation: ")},
    **{route: SECRETARIAT_ONLY for route in PEOPLE_ROUTES if route.startswith("secretariat: ")},
}
# What a successful route changes: differences in (accounts, with a password, administrators, disabled, live tokens,
# invitations, the cycle in months).
PEOPLE_STORED = {
    "accounts: invite": (1, 0, 0, 0, 0, 1, 0),
    "accounts: invite to the secretariat": (1, 0, 0, 0, 0, 1, 0),
    "accounts: send a new link": (0, 0, 0, 0, 0, 1, 0),
    "accounts: make administrator": (0, 0, 1, 0, 0, 0, 0),
    "accounts: end administrator": (0, 0, -1, 0, 0, 0, 0),
    "accounts: disable": (0, 0, 0, 1, -1, 0, 0),  # its token stops working too
    "accounts: enable": (0, 0, 0, -1, 0, 0, 0),
    "accounts: revoke a token": (0, 0, 0, 0, -1, 0, 0),
    "invitation: set the password": (0, 1, 0, 0, 0, 0, 0),
    "secretariat: the confirmation cycle": (0, 0, 0, 0, 0, 0, -6),
}


@pytest.fixture
def people_registry(app):
    """The callers (with passwords) and the accounts acted on (without), the target's token, a live invitation."""
    with app.app_context():
        for caller, email in PEOPLE_EMAILS.items():
            country = None if caller == "secretariat" else email.split("@")[1][:2].upper()
            accounts.add_account(email, country=country, secretariat=country is None, password=PASSWORD,
                                 admin="administrator" in caller or caller == "disabled account")
        ids = {name: accounts.add_account(email, country="FR", secretariat=False, password=None, admin=admin).id
               for name, (email, admin) in PEOPLE_TARGETS.items()}
        accounts.set_disabled(ids["away"], True)
        row, _ = accounts.add_token(accounts.find_account(PEOPLE_TARGETS["target"][0]), "target's laptop")
        ids["token"] = row.id
        invitation = accounts.new_invitation(None, accounts.find_account(PEOPLE_TARGETS["pending"][0]))
    return {**{name: str(number) for name, number in ids.items()}, "invitation": invitation}


def people_counts(app) -> tuple[int, ...]:
    with app.app_context():
        def count(query) -> int:
            return db.session.scalar(select(func.count()).select_from(query.subquery()))

        live = select(ApiToken.id).join(Account).where(ApiToken.revoked_at.is_(None), Account.disabled.is_(False))
        return (count(select(Account.id)), count(select(Account.id).where(Account.password_hash.is_not(None))),
                count(select(Account.id).where(Account.admin.is_(True))), count(select(Account.id).where(Account.disabled.is_(True))),
                count(live), count(select(Invitation.id)), reconfirmation.cycle_months())


def people_visit_as(app, client, caller: str) -> str:
    """Sign the client in as the caller (the disabled account: signed in, then disabled); a CSRF token of its session."""
    if caller == "no session":
        return csrf(client.get("/console/login"))
    assert sign_in(client, PEOPLE_EMAILS[caller]).status_code == 302
    token = csrf(client.get("/console/account"))
    if caller == "disabled account":
        with app.app_context():
            accounts.set_disabled(accounts.find_account(PEOPLE_EMAILS[caller]).id, True)
    return token


@pytest.mark.parametrize("caller", PEOPLE_CALLERS)
@pytest.mark.parametrize("route", list(PEOPLE_ROUTES))
def test_each_accounts_and_secretariat_route_answers_each_kind_of_account_as_expected(app, client, people_registry, route, caller):
    token = people_visit_as(app, client, caller)
    method, path, fields = PEOPLE_ROUTES[route]
    path = path.format(**people_registry)
    before = people_counts(app)

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=MultiDict([(name, value.format(**people_registry)) for name, value in fields]
                                                    + [("csrf_token", token)]))

    expected = PEOPLE_EXPECTED[route][caller]
    after = people_counts(app)
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/console/login?next={path}"
    elif expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302), response.status_code
        assert not response.headers.get("Location", "").startswith("/console/login?next=")
        assert tuple(now - then for now, then in zip(after, before)) == PEOPLE_STORED.get(route, (0,) * 7)
        return
    assert after == before


# -- drafts and approval ---------------------------------------------------------------------------------------------
# Every kind of account against every route of registry/console/drafts.py and the editor's draft actions.

DRAFT_CALLERS = ["no session", "disabled account", "another country's officer", "officer", "country administrator",
                 "secretariat"]
DRAFT_EMAILS = {"disabled account": "leaving@fr.example", "another country's officer": "officer@de.example",
                "officer": "officer@fr.example", "country administrator": "chief@fr.example",
                "secretariat": "desk@registry.example", "submitter": "drafter@fr.example"}
DRAFT = "/console/FR/requirements/draft"
# route: (the draft's state before: None, "open" or "submitted"; method; path; form fields besides csrf_token and etag)
DRAFT_ROUTES = {
    "draft: its page": ("open", "GET", DRAFT, []),
    "draft: save from the editor": (None, "POST", "/console/FR/requirements", editor_form("save-draft")),
    "draft: submit from the preview": (None, "POST", "/console/FR/requirements", [("action", "submit"), ("document", json.dumps(EDITED))]),
    "draft: discard": ("open", "POST", f"{DRAFT}/discard", []),
    "draft: bring up to date": ("open", "POST", f"{DRAFT}/rebase", []),
    "draft: submit": ("open", "POST", f"{DRAFT}/submit", []),
    "draft: publish": ("open", "POST", f"{DRAFT}/publish", []),
    "draft: take back": ("submitted", "POST", f"{DRAFT}/take-back", []),
    "draft: approve": ("submitted", "POST", f"{DRAFT}/approve", []),
    "draft: return": ("submitted", "POST", f"{DRAFT}/return", [("comment", "Give the decree's reference.")]),
    "draft: submit a withdrawal": (None, "POST", f"{DRAFT}/withdrawal", []),
    "approval: require it": (None, "POST", "/console/FR/approval", [("required", "yes")]),
}
# What a successful route leaves: (new versions, the draft's state afterwards, whether FR then requires approval).
DRAFT_STORED = {
    "draft: its page": (0, "open", False),
    "draft: save from the editor": (0, "open", False),
    "draft: submit from the preview": (0, "submitted", False),
    "draft: discard": (0, None, False),
    "draft: bring up to date": (0, "open", False),
    "draft: submit": (0, "submitted", False),
    "draft: publish": (1, None, False),
    "draft: take back": (0, "open", False),
    "draft: approve": (1, None, False),
    "draft: return": (0, "returned", False),
    "draft: submit a withdrawal": (0, "submitted", False),
    "approval: require it": (0, None, True),
}
WRITES_FR = {"no session": SIGN_IN, "disabled account": SIGN_IN, "another country's officer": FORBIDDEN, "officer": OK,
             "country administrator": OK, "secretariat": OK}
DRAFT_EXPECTED = {**{route: WRITES_FR for route in DRAFT_ROUTES},
                  "approval: require it": {**WRITES_FR, "officer": FORBIDDEN}}  # the country's administrator or the secretariat


@pytest.fixture
def drafting(app):
    """FR requirements version 1 and the accounts of DRAFT_EMAILS, without passwords (hashing one takes a while):
    the ETag of version 1."""
    with app.app_context():
        for caller, email in DRAFT_EMAILS.items():
            country = None if caller == "secretariat" else email.split("@")[1][:2].upper()
            accounts.add_account(email, country=country, secretariat=country is None, password=None,
                                 admin=caller == "country administrator")
        first = publish(Actor(accounts.find_account(DRAFT_EMAILS["officer"])), "FR", "requirements", factories.requirements(),
                        Precondition(if_none_match_any=True))
        return first.hash


def draft_snapshot(app) -> tuple:
    """(versions, the FR requirements draft as (state, document, comment) or None, whether FR requires approval)."""
    with app.app_context():
        draft = drafts.find("FR", "requirements")
        shown = None if draft is None else (draft.state, draft.document, draft.comment)
        return db.session.query(Version).count(), shown, requires_approval("FR")


def drafts_visit_as(app, client, caller: str) -> str:
    """Sign the client in as the caller (the disabled account: signed in, then disabled); a CSRF token of its session."""
    if caller == "no session":
        return csrf(client.get("/console/login"))
    with app.app_context():
        accounts.set_password(accounts.find_account(DRAFT_EMAILS[caller]).id, PASSWORD)
    assert sign_in(client, DRAFT_EMAILS[caller]).status_code == 302
    token = csrf(client.get("/console/account"))
    if caller == "disabled account":
        with app.app_context():
            accounts.set_disabled(accounts.find_account(DRAFT_EMAILS[caller]).id, True)
    return token


@pytest.mark.parametrize("caller", DRAFT_CALLERS)
@pytest.mark.parametrize("route", list(DRAFT_ROUTES))
def test_each_draft_route_answers_each_kind_of_account_as_expected_and_a_refusal_changes_nothing(app, client, drafting,
                                                                                                  route, caller):
    state, method, path, fields = DRAFT_ROUTES[route]
    with app.app_context():
        submitter = accounts.find_account(DRAFT_EMAILS["submitter"])
        if state is not None:
            drafts.save(submitter, "FR", "requirements", EDITED)
        if state == "submitted":
            drafts.submit(submitter, "FR", "requirements")
    token = drafts_visit_as(app, client, caller)
    before = draft_snapshot(app)

    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=MultiDict([*fields, ("etag", drafting), ("csrf_token", token)]))

    expected = DRAFT_EXPECTED[route][caller]
    after = draft_snapshot(app)
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response.headers["Location"] == f"/console/login?next={path}"
    elif expected == FORBIDDEN:
        assert response.status_code == 403
    else:
        assert response.status_code in (200, 302), response.status_code
        assert not response.headers.get("Location", "").startswith("/console/login?next=")
        assert (after[0] - before[0], after[1] and after[1][0], after[2]) == DRAFT_STORED[route]
        return
    assert after == before


@pytest.mark.parametrize("action", ["approve", "return"])
def test_a_submitter_who_forges_an_approval_or_a_return_of_their_own_draft_is_refused(app, client, drafting, action):
    with app.app_context():
        drafts.save(accounts.find_account(DRAFT_EMAILS["officer"]), "FR", "requirements", EDITED)
        drafts.submit(accounts.find_account(DRAFT_EMAILS["officer"]), "FR", "requirements")
    token = drafts_visit_as(app, client, "officer")
    before = draft_snapshot(app)
    refused = client.post(f"{DRAFT}/{action}", data={"csrf_token": token, "comment": "Fine by me."})
    assert refused.status_code == 403
    assert "Nobody may approve or return their own draft" in refused.get_data(as_text=True)
    assert draft_snapshot(app) == before


# -- questions between countries -------------------------------------------------------------------------------------
# Every kind of account against every route of registry/console/questions.py, about a thread DE asked of FR.

QUESTION_CALLERS = ["no session", "disabled account", "asking country's officer", "asked country's officer",
                    "asked country's administrator", "third country's officer", "secretariat"]
QUESTION_EMAILS = {"disabled account": "leaving@de.example", "asking country's officer": "officer@de.example",
                   "asked country's officer": "officer@fr.example", "asked country's administrator": "chief@fr.example",
                   "third country's officer": "officer@it.example", "secretariat": "desk@registry.example"}
THREAD = "/console/questions/{thread}"
# route: (method, path, form fields besides csrf_token); {thread} is the fixture's thread.
QUESTION_ROUTES = {
    "questions: the list": ("GET", "/console/questions", []),
    "questions: the form": ("GET", "/console/questions/new?country=FR&section=requirements&version=1", []),
    "questions: ask": ("POST", "/console/questions/new", [("country", "FR"), ("section", "requirements"), ("version", "1"),
                                                          ("subject", "Rule 1"), ("body", "Per trip or per package?")]),
    "questions: the thread": ("GET", THREAD, []),
    "questions: answer": ("POST", THREAD, [("body", "Per trip.")]),
    "questions: make public": ("POST", f"{THREAD}/public", []),
}
NOT_PARTY = "404"
SIGNED_IN = {"no session": SIGN_IN, "disabled account": SIGN_IN, **dict.fromkeys(QUESTION_CALLERS[2:], OK)}
PARTIES = {**SIGNED_IN, "third country's officer": NOT_PARTY}
QUESTION_EXPECTED = {
    "questions: the list": SIGNED_IN,
    "questions: the form": SIGNED_IN,
    "questions: ask": {**SIGNED_IN, "asked country's officer": FORBIDDEN, "asked country's administrator": FORBIDDEN},
    "questions: the thread": PARTIES,
    "questions: answer": PARTIES,
    "questions: make public": {**PARTIES, "asking country's officer": FORBIDDEN},  # the country asked decides
}
# What a successful route changes: differences in (questions, messages, public questions).
QUESTION_STORED = {"questions: ask": (1, 1, 0), "questions: answer": (0, 1, 0), "questions: make public": (0, 0, 1)}


@pytest.fixture
def questioning(app):
    """FR requirements version 1, the accounts of QUESTION_EMAILS without passwords, and a thread DE asked about it."""
    with app.app_context():
        for caller, email in QUESTION_EMAILS.items():
            country = None if caller == "secretariat" else email.split("@")[1][:2].upper()
            accounts.add_account(email, country=country, secretariat=country is None, password=None,
                                 admin=caller == "asked country's administrator")
        publish(Actor(accounts.find_account(QUESTION_EMAILS["asked country's officer"])), "FR", "requirements",
                factories.requirements(), Precondition(if_none_match_any=True))
        asked = questions.ask(accounts.find_account(QUESTION_EMAILS["asking country's officer"]), "FR", "requirements", 1,
                              "Rule 2", "Does the threshold count every package together?")
        return {"thread": str(asked.id)}


def question_counts(app) -> tuple[int, int, int]:
    """(questions, messages, public questions)."""
    with app.app_context():
        public = select(func.count()).select_from(Question).where(Question.public_at.is_not(None))
        return (db.session.query(Question).count(), db.session.query(QuestionMessage).count(), db.session.scalar(public))


def questions_visit_as(app, client, caller: str) -> str:
    """Sign the client in as the caller (the disabled account: signed in, then disabled); a CSRF token of its session."""
    if caller == "no session":
        return csrf(client.get("/console/login"))
    with app.app_context():
        accounts.set_password(accounts.find_account(QUESTION_EMAILS[caller]).id, PASSWORD)
    assert sign_in(client, QUESTION_EMAILS[caller]).status_code == 302
    token = csrf(client.get("/console/account"))
    if caller == "disabled account":
        with app.app_context():
            accounts.set_disabled(accounts.find_account(QUESTION_EMAILS[caller]).id, True)
    return token


def question_call(client, route: str, questioning: dict, csrf_token: str | None):
    method, path, fields = QUESTION_ROUTES[route]
    path = path.format(**questioning)
    if method == "GET":
        return client.get(path)
    return client.post(path, data=MultiDict(fields + ([("csrf_token", csrf_token)] if csrf_token else [])))


@pytest.mark.parametrize("caller", QUESTION_CALLERS)
@pytest.mark.parametrize("route", list(QUESTION_ROUTES))
def test_each_question_route_answers_each_kind_of_account_as_expected_and_a_refusal_changes_nothing(app, client, questioning,
                                                                                                     route, caller):
    token = questions_visit_as(app, client, caller)
    before = question_counts(app)

    response = question_call(client, route, questioning, token)

    expected = QUESTION_EXPECTED[route][caller]
    after = question_counts(app)
    if expected == SIGN_IN:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/console/login?next=" + QUESTION_ROUTES[route][1].split("?")[0].format(**questioning))
    elif expected in (FORBIDDEN, NOT_PARTY):
        assert response.status_code == int(expected)
    else:
        assert response.status_code in (200, 302), response.status_code
        assert not response.headers.get("Location", "").startswith("/console/login?next=")
        assert tuple(now - then for now, then in zip(after, before)) == QUESTION_STORED.get(route, (0, 0, 0))
        return
    assert after == before


@pytest.mark.parametrize("route", [route for route, (method, _, _) in QUESTION_ROUTES.items() if method == "POST"])
def test_a_question_form_without_its_session_s_csrf_token_is_refused_and_stores_nothing(app, client, questioning, route):
    questions_visit_as(app, client, "secretariat")
    before = question_counts(app)
    response = question_call(client, route, questioning, None)
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert question_counts(app) == before
