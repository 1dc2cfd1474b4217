"""Accounts managed in the console: invitations used once, administrators, disabled officers, revoked tokens, the audit."""
import html
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from registry import accounts
from registry.db import db, dispose_engines, utcnow
from registry.models import Account, AuditRecord, Invitation

from ..helpers import factories
from ..helpers.apps import make_app
from ..helpers.console import PASSWORD, csrf, sign_in

NEW_PASSWORD = "a password of my own choosing"


@pytest.fixture
def admin(client, officer):
    """A signed-in administrator of France: its e-mail address."""
    email = officer("FR", admin=True)
    assert sign_in(client, email).status_code == 302
    return email


def post(client, path: str, **fields):
    """A console form, sent with the session's CSRF token."""
    token = csrf(client.get(path))
    return client.post(path, data={"csrf_token": token, **fields})


def invite(client, email: str, path: str = "/console/people/FR", **fields):
    return post(client, path, action="invite", email=email, **fields)


def shown_link(response) -> str:
    """The invitation link the page shows when it could not e-mail it: its path and query."""
    found = re.search(r'id="invitation-link">([^<]+)<', response.get_data(as_text=True))
    assert found, "the page shows no invitation link"
    link = urlsplit(html.unescape(found.group(1)))
    return f"{link.path}?{link.query}"


def account_of(app, email: str) -> Account:
    with app.app_context():
        found = accounts.find_account(email)
        db.session.expunge(found)
        return found


def choose_password(client, link: str, password: str = NEW_PASSWORD, again: str | None = None):
    token = csrf(client.get(link))
    return client.post(link, data={"csrf_token": token, "password": password,
                                   "password_again": password if again is None else again})


def test_an_invitation_link_sets_a_password_once_and_then_no_longer_works(app, client, admin):
    invited = invite(client, "new@fr.example")
    assert invited.status_code == 200
    page = invited.get_data(as_text=True)
    assert "No e-mail server is configured" in page and "new@fr.example" in page
    link = shown_link(invited)
    assert account_of(app, "new@fr.example").password_hash is None

    visitor = app.test_client()
    form = visitor.get(link)
    assert form.status_code == 200 and "Choose your password" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert choose_password(visitor, link, again="something else entirely").status_code == 422
    assert choose_password(visitor, link, "short").status_code == 422
    assert accounts.check_password(account_of(app, "new@fr.example"), "short") is False

    chosen = choose_password(visitor, link)
    assert chosen.status_code == 302 and chosen.headers["Location"] == "/console/login"
    assert sign_in(visitor, "new@fr.example", NEW_PASSWORD).status_code == 302
    assert visitor.get("/console/FR/").status_code == 200

    again = app.test_client()
    used = again.get(link)
    assert used.status_code == 410 and "This link no longer works" in used.get_data(as_text=True)
    token = csrf(again.get("/console/login"))
    refused = again.post(link, data={"csrf_token": token, "password": "yet another long password",
                                     "password_again": "yet another long password"})
    assert refused.status_code == 410
    assert accounts.check_password(account_of(app, "new@fr.example"), NEW_PASSWORD)


def test_an_expired_link_and_an_unknown_one_get_the_same_page(app, client, admin):
    link = shown_link(invite(client, "late@fr.example"))
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    visitor = app.test_client()
    token = urlsplit(link).path.rpartition("/")[2]
    expired, unknown = visitor.get(link), visitor.get("/console/invitation/no-such-token?lang=en")
    assert expired.status_code == unknown.status_code == 410
    assert expired.get_data(as_text=True).replace(token, "no-such-token") == unknown.get_data(as_text=True)
    assert "late@fr.example" not in expired.get_data(as_text=True)


def test_a_new_link_replaces_the_old_one(app, client, admin):
    first = shown_link(invite(client, "again@fr.example"))
    member = account_of(app, "again@fr.example")
    second = shown_link(post(client, "/console/people/FR", action="new-link", account=str(member.id)))
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 200


def test_an_invitation_is_e_mailed_in_the_administrators_language(database_url, officer, smtp):
    mailing = make_app(database_url, REGISTRY_SMTP_URL=smtp.url, REGISTRY_BASE_URL="https://registry.example")
    try:
        client = mailing.test_client()
        with mailing.app_context():
            accounts.add_account("chef@fr.example", country="FR", secretariat=False, password=PASSWORD, admin=True,
                                 authority_name="Agence nationale")
        sign_in(client, "chef@fr.example")
        client.get("/console/people/FR?lang=fr")
        sent = invite(client, "agent@fr.example")
        assert sent.status_code == 302
        assert "agent@fr.example" in client.get(sent.headers["Location"]).get_data(as_text=True)
        message = smtp.wait_for(1, "agent@fr.example")[0]
        body = message.get_content()
        link = re.search(r"https://registry\.example(/console/invitation/\S+)", body).group(1)
        assert "Agence nationale" in body and link.endswith("?lang=fr")
        assert message["Auto-Submitted"] == "auto-generated"
        assert choose_password(mailing.test_client(), link).status_code == 302
        assert mailing.test_client().get(link).status_code == 410
    finally:
        dispose_engines(mailing)


def test_a_refusing_smtp_server_leaves_the_link_on_the_page(database_url, smtp):
    mailing = make_app(database_url, REGISTRY_SMTP_URL=smtp.url)
    try:
        client = mailing.test_client()
        with mailing.app_context():
            accounts.add_account("chef@fr.example", country="FR", secretariat=False, password=PASSWORD, admin=True)
        sign_in(client, "chef@fr.example")
        smtp.refuse_next = 1
        refused = invite(client, "agent@fr.example")
        assert "The e-mail server did not accept the message." in refused.get_data(as_text=True)
        assert mailing.test_client().get(shown_link(refused)).status_code == 200
    finally:
        dispose_engines(mailing)


def test_a_disabled_officer_can_neither_sign_in_nor_use_a_token(app, client, officer, admin):
    email = officer("FR")
    member = account_of(app, email)
    with app.app_context():
        _, token = accounts.add_token(accounts.find_account(email), "laptop")
    theirs = app.test_client()
    assert sign_in(theirs, email).status_code == 302
    bearer = {"Authorization": f"Bearer {token}", "If-None-Match": "*"}

    disabled = post(client, "/console/people/FR", action="disable", account=str(member.id))
    assert disabled.status_code == 302
    assert "is disabled" in client.get("/console/people/FR").get_data(as_text=True)
    assert theirs.get("/console/FR/").status_code == 302  # the session ended
    assert sign_in(theirs, email).status_code == 200  # refused, as a wrong password is
    assert client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers=bearer).status_code == 401

    post(client, "/console/people/FR", action="enable", account=str(member.id))
    assert sign_in(theirs, email).status_code == 302
    assert client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers=bearer).status_code == 201


def test_an_administrator_makes_another_administrator_and_ends_it(app, client, officer, admin):
    email = officer("FR")
    member = account_of(app, email)
    theirs = app.test_client()
    sign_in(theirs, email)
    assert theirs.get("/console/people/FR").status_code == 403
    post(client, "/console/people/FR", action="make-admin", account=str(member.id))
    assert account_of(app, email).admin and theirs.get("/console/people/FR").status_code == 200
    post(client, "/console/people/FR", action="unmake-admin", account=str(member.id))
    assert not account_of(app, email).admin and theirs.get("/console/people/FR").status_code == 403


def test_nobody_changes_their_own_account_here(app, client, admin):
    own = account_of(app, admin)
    refused = post(client, "/console/people/FR", action="disable", account=str(own.id))
    assert "You cannot change your own account here" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert not account_of(app, admin).disabled


def test_the_page_lists_tokens_by_name_and_state_and_revokes_them_never_showing_one(app, client, officer, admin):
    email = officer("FR")
    with app.app_context():
        row, token = accounts.add_token(accounts.find_account(email), "publishing script")
        token_id, token_hash = row.id, row.token_hash
    page = client.get("/console/people/FR").get_data(as_text=True)
    assert "publishing script" in page and email in page
    assert token not in page and token_hash not in page
    post(client, "/console/people/FR", action="revoke", token=str(token_id))
    headers = {"Authorization": f"Bearer {token}", "If-None-Match": "*"}
    assert client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers=headers).status_code == 401


def test_an_administrator_touches_no_other_countrys_account_or_token(app, client, officer, admin):
    german = officer("DE")
    member = account_of(app, german)
    with app.app_context():
        row, _ = accounts.add_token(accounts.find_account(german), "laptop")
        token_id = row.id
    for action, field in (("disable", "account"), ("make-admin", "account"), ("revoke", "token")):
        answer = post(client, "/console/people/FR", action=action, **{field: str(token_id if field == "token" else member.id)})
        assert answer.status_code == 302
    assert client.post("/console/people/DE", data={"csrf_token": csrf(client.get("/console/people/FR")), "action": "disable",
                                                   "account": str(member.id)}).status_code == 403
    with app.app_context():
        found = db.session.get(Account, member.id)
        assert not found.disabled and not found.admin and accounts.tokens(found)[0].revoked_at is None


def test_every_change_is_audited_with_both_accounts(app, client, officer, admin):
    email = officer("FR")
    member = account_of(app, email)
    invite(client, "audited@fr.example")
    post(client, "/console/people/FR", action="disable", account=str(member.id))
    with app.app_context():
        records = db.session.scalars(select(AuditRecord).order_by(AuditRecord.id)).all()
        by = accounts.find_account(admin).id
    assert [record.action for record in records] == ["account-invite", "account-disable"]
    assert all(record.account_id == by and record.country == "FR" for record in records)
    assert json.loads(records[1].detail) == {"account": member.id, "email": email}


def test_the_secretariat_manages_every_country_and_invites_secretariat_accounts(app, client, officer):
    sign_in(client, officer(secretariat=True))
    assert client.get("/console/people?country=de").headers["Location"] == "/console/people/DE"
    assert client.get("/console/people/DE").status_code == 200
    link = shown_link(invite(client, "desk@registry.example", path="/console/people"))
    member = account_of(app, "desk@registry.example")
    assert member.secretariat and member.country is None
    assert choose_password(app.test_client(), link).status_code == 302
    officer_client = app.test_client()
    sign_in(officer_client, officer("FR", admin=True))
    assert post(officer_client, "/console/people/FR", action="invite", email="x@fr.example").status_code == 200
    assert officer_client.post("/console/people", data={"csrf_token": csrf(officer_client.get("/console/account")),
                                                        "action": "invite", "email": "y@registry.example"}).status_code == 403


def test_an_address_that_has_an_account_is_not_invited_again(client, officer, admin):
    taken = officer("DE")
    answer = invite(client, taken.upper())
    assert answer.status_code == 422 and "exists already" in answer.get_data(as_text=True)


def test_the_first_administrator_comes_from_the_command_line(app, client, runner):
    added = runner.invoke(args=["account", "add", "first@fr.example", "--country", "FR", "--admin", "--password-stdin"],
                          input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    sign_in(client, "first@fr.example")
    assert client.get("/console/people").headers["Location"] == "/console/people/FR"
    assert client.get("/console/people/FR").status_code == 200
