"""Console sessions end on the server: sign out, sign out everywhere, a new password, a disabled account, timeouts.

A session cookie is only a signed pointer to a session row; these tests copy a
cookie before the session ends and show that the copy no longer works afterwards.
Also: where the sign-in page may send the visitor back to (`next`).
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry import accounts
from registry.db import db
from registry.models import ApiToken, ConsoleSession

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long enough password"


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, email, password=PASSWORD, *, address="127.0.0.1", next_page=None):
    token = csrf(client.get("/console/login"))
    data = {"csrf_token": token, "email": email, "password": password}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/console/login", data=data, environ_base={"REMOTE_ADDR": address})


def copy_of(client, app):
    """Another browser holding a copy of the client's session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def signed_in(client) -> bool:
    return client.get("/console/FR/").status_code == 200


def live_tokens(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None)))


@pytest.fixture
def officer(app):
    with app.app_context():
        accounts.add_account("officer@fr.example", country="FR", secretariat=False, password=PASSWORD)
    return "officer@fr.example"


def test_a_cookie_copied_before_sign_out_no_longer_works_after_it(app, client, officer):
    assert sign_in(client, officer).status_code == 302
    thief = copy_of(client, app)
    stolen_form = csrf(thief.get("/console/account"))  # the thief's copy works while the session lives
    assert signed_in(thief)

    client.post("/console/logout", data={"csrf_token": csrf(client.get("/console/FR/"))})

    assert not signed_in(client)
    assert not signed_in(thief)
    created = thief.post("/console/account", data={"csrf_token": stolen_form, "action": "create", "name": "stolen"})
    assert created.status_code == 302 and created.headers["Location"].startswith("/console/login")
    assert live_tokens(app) == 0


def test_signing_out_ends_only_that_session(app, officer):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, officer)
    sign_in(phone, officer)
    laptop.post("/console/logout", data={"csrf_token": csrf(laptop.get("/console/FR/"))})
    assert not signed_in(laptop)
    assert signed_in(phone)


def test_sign_out_everywhere_ends_every_session_of_the_account_only(app, officer):
    with app.app_context():
        accounts.add_account("officer@de.example", country="DE", secretariat=False, password=PASSWORD)
    laptop, phone, colleague = app.test_client(), app.test_client(), app.test_client()
    sign_in(laptop, officer)
    sign_in(phone, officer)
    sign_in(colleague, "officer@de.example")
    thief = copy_of(phone, app)
    page = laptop.get("/console/account")
    assert "Sign out everywhere" in page.get_data(as_text=True)

    answer = laptop.post("/console/account", data={"csrf_token": csrf(page), "action": "sign-out-everywhere"})

    assert answer.status_code == 302 and answer.headers["Location"] == "/console/login"
    assert not any(signed_in(browser) for browser in (laptop, phone, thief))
    assert colleague.get("/console/DE/").status_code == 200
    assert live_tokens(app) == 0  # the button is not the token form
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConsoleSession)) == 1  # the colleague's


def test_sign_out_everywhere_needs_the_forms_csrf_token(app, client, officer):
    sign_in(client, officer)
    thief = copy_of(client, app)
    refused = client.post("/console/account", data={"action": "sign-out-everywhere"})
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert signed_in(client) and signed_in(thief)


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    page = client.get("/console/account")
    return client.post("/console/account", data={"csrf_token": csrf(page), "action": "password", "current_password": current,
                                                 "new_password": new, "new_password_again": new if again is None else again})


def test_changing_the_password_in_the_console_ends_every_other_session(app, officer):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, officer)
    sign_in(phone, officer)
    thief = copy_of(laptop, app)

    changed = change_password(laptop)

    assert changed.status_code == 302 and changed.headers["Location"] == "/console/account"
    assert "Your password is changed" in laptop.get("/console/account").get_data(as_text=True)
    assert signed_in(laptop)  # a new session for the browser that changed it
    assert not signed_in(phone)
    assert not signed_in(thief)  # the copy was of the laptop's old session
    assert sign_in(app.test_client(), officer).status_code == 200  # the old password no longer signs in
    assert sign_in(app.test_client(), officer, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("current,new,again,message", [
    ("not the password at all", NEW_PASSWORD, None, "The current password is not right."),
    (PASSWORD, "short", None, "at least 12 characters"),
    (PASSWORD, NEW_PASSWORD, "a different long password", "The two new passwords differ."),
])
def test_a_refused_password_change_changes_nothing_and_ends_no_session(app, officer, current, new, again, message):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, officer)
    sign_in(phone, officer)
    refused = change_password(laptop, current, new, again)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert signed_in(laptop) and signed_in(phone)
    assert sign_in(app.test_client(), officer).status_code == 302


def test_guessing_the_current_password_on_the_account_page_is_throttled_like_sign_in(app, client, officer):
    sign_in(client, officer)
    for _ in range(5):
        assert change_password(client, "not the password at all").status_code == 422
    assert change_password(client).status_code == 429
    elsewhere = app.test_client()  # from another address, which the throttle leaves alone
    assert sign_in(elsewhere, officer, NEW_PASSWORD, address="198.51.100.9").status_code == 200  # nothing was changed
    assert sign_in(elsewhere, officer, address="198.51.100.9").status_code == 302


def test_set_password_on_the_command_line_ends_every_session(app, client, runner, officer):
    sign_in(client, officer)
    result = runner.invoke(args=["account", "set-password", officer, "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "signed out" in result.output
    assert not signed_in(client)
    assert sign_in(client, officer).status_code == 200
    assert sign_in(client, officer, NEW_PASSWORD).status_code == 302


def test_disabling_an_account_ends_its_sessions_and_refuses_sign_in_and_tokens(app, client, runner, officer):
    with app.app_context():
        _, token = accounts.add_token(accounts.find_account(officer), "script")
    sign_in(client, officer)
    result = runner.invoke(args=["account", "disable", officer])
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    refused = sign_in(client, officer)
    assert refused.status_code == 200 and "not right" in refused.get_data(as_text=True)
    put = client.put("/api/v1/countries/FR/requirements", json={}, headers={"Authorization": f"Bearer {token}", "If-None-Match": "*"})
    assert put.status_code == 401


def backdate(app, created=timedelta(0), last_seen=timedelta(0)):
    """Make every session older: started `created` earlier, last seen `last_seen` earlier."""
    with app.app_context():
        for row in db.session.scalars(select(ConsoleSession)):
            row.created_at -= created
            row.last_seen_at -= last_seen
        db.session.commit()


def test_a_session_idle_for_two_hours_ends_on_the_server(app, client, officer):
    sign_in(client, officer)
    backdate(app, last_seen=timedelta(minutes=100))
    assert signed_in(client)  # still within the idle limit, and that visit counts as activity
    backdate(app, last_seen=timedelta(hours=2, minutes=1))
    assert not signed_in(client)


def test_activity_keeps_a_session_alive_but_not_beyond_the_working_day(app, client, officer):
    sign_in(client, officer)
    backdate(app, created=timedelta(hours=11, minutes=58))
    assert signed_in(client)
    # The cookie still says it was signed in just now; the server knows better.
    backdate(app, created=timedelta(minutes=3))
    assert not signed_in(client)


def test_a_session_row_names_no_secret_of_the_cookie(app, client, officer):
    sign_in(client, officer)
    cookie = client.get_cookie("session").value
    with client.session_transaction() as session:
        session_id = session["session_id"]
    with app.app_context():
        stored = db.session.scalars(select(ConsoleSession.id_hash)).one()
    assert session_id not in stored and stored not in cookie and len(stored) == 64


def test_exports_hold_no_session_token_or_account(app, client, runner, officer, tmp_path):
    with app.app_context():
        _, token = accounts.add_token(accounts.find_account(officer), "script")
        token_hash = db.session.scalars(select(ApiToken.token_hash)).one()
    sign_in(client, officer)
    with app.app_context():
        session_hash = db.session.scalars(select(ConsoleSession.id_hash)).one()
    assert runner.invoke(args=["export", str(tmp_path / "bundle")]).exit_code == 0
    for path in (tmp_path / "bundle").rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            for secret in (token, token_hash, session_hash, officer):
                assert secret not in text, (path.name, secret)


# --- where sign-in sends the visitor back to -------------------------------------------------

HOSTILE_NEXT = [
    "/console/\r\nX-Injected: 1",
    "/console/\nX-Injected: 1",
    "/console/\x00",
    "/console/\tx",
    "/console/\x7f",
    "//evil.example/console/",
    "/console/\\evil.example",
    "https://evil.example/console/",
    "/console//evil.example",
    "/console/../admin",
    "/consolex/",
    "/elsewhere",
    "/console/é",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_refuses_a_next_page_that_is_not_a_plain_console_path(client, officer, target):
    shown = client.get("/console/login", query_string={"next": target})
    assert shown.status_code == 200
    assert 'name="next"' not in shown.get_data(as_text=True)
    answer = sign_in(client, officer, next_page=target)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"
    assert "X-Injected" not in answer.headers


def test_the_crafted_next_of_the_report_is_no_500(client, officer):
    """GET and POST /console/login?next=/console/%0D%0AX-Injected:%201, exactly as it was sent."""
    assert client.get("/console/login?next=/console/%0D%0AX-Injected:%201").status_code == 200
    token = csrf(client.get("/console/login"))
    answer = client.post("/console/login?next=/console/%0D%0AX-Injected:%201",
                         data={"csrf_token": token, "email": officer, "password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/"
    assert "X-Injected" not in answer.headers
    token = csrf(client.get("/console/login"))  # signing in started a new session, with a new CSRF token
    refused = client.post("/console/login?next=/console/%0D%0AX-Injected:%201",
                          data={"csrf_token": token, "email": officer, "password": "wrong password!"})
    assert refused.status_code == 200 and "X-Injected" not in refused.headers


@pytest.mark.parametrize("target", ["/console/FR/requirements", "/console/FR/import-bans/withdraw", "/console/?country=DE",
                                    "/console/account"])
def test_sign_in_still_returns_to_a_console_page(client, officer, target):
    assert sign_in(client, officer, next_page=target).headers["Location"] == target
