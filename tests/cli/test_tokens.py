"""API tokens and accounts on the command line and in the console: expiry, last use, lists, disabling, passwords.

Also: a 401 of the API says how to authenticate (WWW-Authenticate: Bearer).
"""
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from registry import accounts
from registry.db import db
from registry.models import Account, ApiToken

PASSWORD = "correct horse battery staple"
EMAIL = "officer@fr.example"


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


FUTURE = (now() + timedelta(days=3 * 365)).date().isoformat()  # a date for --expires, some years away


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def officer(app, runner):
    added = runner.invoke(args=["account", "add", EMAIL, "--country", "FR", "--password-stdin"], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    return EMAIL


def add_token(runner, *options) -> str:
    result = runner.invoke(args=["token", "add", EMAIL, *options])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def token_row(app, number=None) -> ApiToken:
    with app.app_context():
        query = select(ApiToken).order_by(ApiToken.id.desc())
        row = db.session.scalars(query.where(ApiToken.id == number) if number else query).first()
        db.session.expunge(row)
        return row


def withdraw(client, token):
    """An authenticated write that needs nothing published: 401 for a bad token, 404/409 for a good one."""
    return client.delete("/api/v1/countries/FR/requirements", headers={"Authorization": f"Bearer {token}", "If-Match": "*"})


@pytest.mark.parametrize("expires,expected", [
    ("90d", timedelta(days=90)),
    ("1d", timedelta(days=1)),
    ("12h", timedelta(hours=12)),
    ("90D", timedelta(days=90)),
])
def test_token_add_with_a_relative_expiry(app, runner, officer, expires, expected):
    add_token(runner, "--expires", expires)
    stored = token_row(app).expires_at
    assert abs(stored - (now() + expected)) <= timedelta(seconds=5)


def test_token_add_with_a_date_or_a_moment(app, runner, officer):
    add_token(runner, "--expires", FUTURE)
    assert token_row(app).expires_at == datetime.fromisoformat(FUTURE)
    add_token(runner, "--expires", f"{FUTURE}T12:30:00Z")
    assert token_row(app).expires_at == datetime.fromisoformat(FUTURE).replace(hour=12, minute=30)
    add_token(runner, "--expires", f"{FUTURE}T14:30:00+02:00")
    assert token_row(app).expires_at == datetime.fromisoformat(FUTURE).replace(hour=12, minute=30)
    add_token(runner)
    assert token_row(app).expires_at is None


@pytest.mark.parametrize("expires", ["0d", "-5d", "yesterday", "2001-01-01", "90", "d", "9" * 400 + "d", "99999h", "2099-02-30", "2099-01-31"])
def test_token_add_refuses_an_expiry_it_cannot_use_and_makes_no_token(app, runner, officer, expires):
    result = runner.invoke(args=["token", "add", EMAIL, "--expires", expires])
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output and "--expires" in result.output
    with app.app_context():
        assert db.session.query(ApiToken).count() == 0


def test_an_expired_token_is_refused_with_401_and_www_authenticate(app, client, runner, officer):
    token = add_token(runner, "--expires", "1h")
    assert withdraw(client, token).status_code != 401
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=now() - timedelta(seconds=1)))
        db.session.commit()
    refused = withdraw(client, token)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_401_says_bearer_with_no_token_or_a_wrong_one(client):
    for headers in ({}, {"Authorization": "Bearer reg_nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        refused = client.put("/api/v1/countries/FR/requirements", json={}, headers={**headers, "If-None-Match": "*"})
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "WWW-Authenticate" not in client.get("/api/v1/countries/FR/requirements").headers


def test_last_use_is_recorded_at_most_once_a_minute(app, client, runner, officer):
    token = add_token(runner)
    assert token_row(app).last_used_at is None
    withdraw(client, token)
    first = token_row(app).last_used_at
    assert first is not None and abs(first - now()) <= timedelta(seconds=5)

    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=now() - timedelta(seconds=30)))
        db.session.commit()
    recent = token_row(app).last_used_at
    withdraw(client, token)
    assert token_row(app).last_used_at == recent  # within the minute: no write

    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=now() - timedelta(seconds=61)))
        db.session.commit()
    withdraw(client, token)
    assert abs(token_row(app).last_used_at - now()) <= timedelta(seconds=5)


def test_a_refused_token_records_no_use(app, client, runner, officer):
    token = add_token(runner, "--expires", "1h")
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=now() - timedelta(seconds=1)))
        db.session.commit()
    withdraw(client, token)
    assert token_row(app).last_used_at is None


def test_token_list_shows_number_account_name_dates_and_state(app, client, runner, officer):
    runner.invoke(args=["account", "add", "officer@de.example", "--country", "DE"])
    live = add_token(runner, "--name", "publisher", "--expires", FUTURE)
    add_token(runner, "--name", "old-laptop")
    add_token(runner, "--name", "expiring", "--expires", "1h")
    runner.invoke(args=["token", "add", "officer@de.example", "--name", "german"])
    withdraw(client, live)
    with app.app_context():
        numbers = {row.name: row.id for row in db.session.scalars(select(ApiToken))}
        db.session.execute(update(ApiToken).where(ApiToken.name == "expiring").values(expires_at=now() - timedelta(minutes=1)))
        db.session.commit()
    runner.invoke(args=["token", "revoke", str(numbers["old-laptop"])])

    listed = runner.invoke(args=["token", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    header = lines[0].lower()
    for column in ("number", "account", "name", "created", "last used", "expires", "state"):
        assert column in header
    rows = {line.split()[2]: line for line in lines[1:]}
    assert set(rows) == {"publisher", "old-laptop", "expiring", "german"}
    assert rows["publisher"].split()[:2] == [str(numbers["publisher"]), EMAIL]
    assert FUTURE in rows["publisher"] and rows["publisher"].rstrip().endswith("live")
    assert rows["publisher"].count(now().strftime("%Y-%m-%d")) == 2  # created and last used today
    assert rows["old-laptop"].rstrip().endswith("revoked") and "never" in rows["old-laptop"]
    assert rows["expiring"].rstrip().endswith("expired")
    assert live not in listed.output

    only_de = runner.invoke(args=["token", "list", "officer@de.example"])
    assert [line.split()[2] for line in only_de.stdout.splitlines()[1:]] == ["german"]
    assert runner.invoke(args=["token", "list", "nobody@example.org"]).exit_code == 1


def test_the_token_list_says_when_a_tokens_account_is_disabled(runner, officer):
    add_token(runner, "--name", "script")
    runner.invoke(args=["account", "disable", EMAIL])
    rows = runner.invoke(args=["token", "list"]).stdout.splitlines()[1:]
    assert rows[0].rstrip().endswith("account disabled")


def test_account_list(app, runner, officer):
    runner.invoke(args=["account", "add", "sec@registry.example", "--secretariat", "--authority", "Registry secretariat office"])
    runner.invoke(args=["account", "disable", "sec@registry.example"])
    listed = runner.invoke(args=["account", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    for column in ("e-mail", "country", "authority", "password", "disabled", "created"):
        assert column in lines[0].lower()
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {EMAIL, "sec@registry.example"}
    assert rows[EMAIL].split()[1] == "FR" and "Competent authority of France" in rows[EMAIL]
    assert re.search(r"Registry secretariat office\s+no\s+yes\s+\d{4}-\d\d-\d\d", rows["sec@registry.example"])
    assert rows["sec@registry.example"].split()[1] == "secretariat"
    assert re.search(r"France\s+yes\s+no\s+\d{4}-\d\d-\d\d", rows[EMAIL])
    assert "argon2" not in listed.output


def test_account_disable_and_enable(app, client, runner, officer):
    token = add_token(runner)
    assert runner.invoke(args=["account", "disable", "nobody@example.org"]).exit_code == 1
    disabled = runner.invoke(args=["account", "disable", EMAIL.upper()])
    assert disabled.exit_code == 0, disabled.output
    assert withdraw(client, token).status_code == 401
    with app.app_context():
        assert db.session.scalars(select(Account.disabled)).one() is True
    enabled = runner.invoke(args=["account", "enable", EMAIL])
    assert enabled.exit_code == 0, enabled.output
    assert withdraw(client, token).status_code != 401


def test_a_password_piped_to_account_add_without_password_stdin_is_refused(app, runner):
    result = runner.invoke(args=["account", "add", EMAIL, "--country", "FR"], input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "--password-stdin" in result.output
    with app.app_context():
        assert db.session.query(Account).count() == 0


def test_account_add_without_input_still_makes_a_token_only_account(app, runner):
    result = runner.invoke(args=["account", "add", EMAIL, "--country", "FR"])
    assert result.exit_code == 0, result.output
    assert "no password" in result.output
    with app.app_context():
        assert db.session.scalars(select(Account.password_hash)).one() is None


def test_set_password(app, runner, officer):
    assert runner.invoke(args=["account", "set-password", EMAIL, "--password-stdin"], input="short\n").exit_code == 1
    assert runner.invoke(args=["account", "set-password", "nobody@example.org", "--password-stdin"],
                         input="a long enough password\n").exit_code == 1
    no_flag = runner.invoke(args=["account", "set-password", EMAIL], input="a long enough password\n")
    assert no_flag.exit_code == 1 and "--password-stdin" in no_flag.output
    changed = runner.invoke(args=["account", "set-password", EMAIL, "--password-stdin"], input="a long enough password\n")
    assert changed.exit_code == 0, changed.output
    with app.app_context():
        account = accounts.find_account(EMAIL)
        assert accounts.check_password(account, "a long enough password")
        assert not accounts.check_password(account, PASSWORD)


def console(client, email=EMAIL):
    token = csrf(client.get("/console/login"))
    assert client.post("/console/login", data={"csrf_token": token, "email": email, "password": PASSWORD}).status_code == 302
    return csrf(client.get("/console/account"))


@pytest.mark.parametrize("choice,expected", [("30d", timedelta(days=30)), ("90d", timedelta(days=90)),
                                             ("365d", timedelta(days=365)), ("never", None)])
def test_the_console_token_form_sets_an_expiry(app, client, officer, choice, expected):
    form = console(client)
    page = client.get("/console/account").get_data(as_text=True)
    assert 'name="expires"' in page
    created = client.post("/console/account", data={"csrf_token": form, "action": "create", "name": "script", "expires": choice})
    assert created.status_code == 200
    stored = token_row(app).expires_at
    if expected is None:
        assert stored is None
    else:
        assert abs(stored - (now() + expected)) <= timedelta(seconds=5)


def test_the_console_refuses_an_expiry_it_does_not_offer(app, client, officer):
    form = console(client)
    refused = client.post("/console/account", data={"csrf_token": form, "action": "create", "name": "x", "expires": "9" * 400 + "d"})
    assert refused.status_code in (302, 422)
    with app.app_context():
        assert db.session.query(ApiToken).count() == 0


def test_the_console_account_page_shows_last_use_and_expiry(app, client, runner, officer):
    token = add_token(runner, "--name", "publisher", "--expires", FUTURE)
    add_token(runner, "--name", "idle")
    withdraw(client, token)
    console(client)
    page = client.get("/console/account").get_data(as_text=True)
    for heading in ("Last used", "Expires"):
        assert heading in page
    publisher = page[page.index("publisher"):page.index("</tr>", page.index("publisher"))]
    assert FUTURE[:4] in publisher and now().strftime("%Y") in publisher
    idle = page[page.index("idle"):page.index("</tr>", page.index("idle"))]
    assert "never" in idle
