"""Sign-in throttling: counted before the password is checked, per (account, address) first.

- 30 concurrent wrong passwords for one account reach the password check no more
  than the limit allows, in one process and across two (two applications, two
  engines: nothing in memory is shared, only the database).
- An attacker's failures from one address do not lock the officer out from another;
  an account-wide ceiling catches guessing spread over many addresses, and an address
  the officer signed in from before still gets through it.
"""
import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from registry import accounts, create_app
from registry.console import sign_in as throttle
from registry.db import db
from registry.models import SignInAttempt

PASSWORD = "correct horse battery staple"
EMAIL = "officer@fr.example"


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, email=EMAIL, password=PASSWORD, *, address="127.0.0.1"):
    token = csrf(client.get("/console/login"))
    return client.post("/console/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def officer(app):
    with app.app_context():
        accounts.add_account(EMAIL, country="FR", secretariat=False, password=PASSWORD)
    return EMAIL


@pytest.fixture
def checks(monkeypatch):
    """Count the real password checks (the argon2 verifications) the console makes."""
    made = []
    lock = threading.Lock()
    real = accounts.check_password

    def counted(account, password):
        with lock:
            made.append(password)
        return real(account, password)

    monkeypatch.setattr(accounts, "check_password", counted)
    return made


def concurrently(clients, password="wrong password!", address="127.0.0.1"):
    """Post a sign-in from every client at the same moment; the statuses answered."""
    tokens = [csrf(client.get("/console/login")) for client in clients]
    start = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def attempt(number):
        start.wait()
        answer = clients[number].post("/console/login", data={"csrf_token": tokens[number], "email": EMAIL, "password": password},
                                      environ_base={"REMOTE_ADDR": address})
        statuses[number] = answer.status_code

    threads = [threading.Thread(target=attempt, args=(number,)) for number in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return statuses


def test_thirty_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(app, officer, checks):
    statuses = concurrently([app.test_client() for _ in range(30)])
    assert len(checks) == throttle.PER_PAIR
    assert sorted(statuses) == [200] * throttle.PER_PAIR + [429] * (30 - throttle.PER_PAIR)


def test_the_limit_holds_across_worker_processes(app, database_url, officer, checks):
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret"})
    try:
        statuses = concurrently([(app if number % 2 else other).test_client() for number in range(30)])
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
    assert len(checks) == throttle.PER_PAIR
    assert statuses.count(429) == 30 - throttle.PER_PAIR


def test_a_throttled_attempt_never_reaches_the_password_check(app, client, officer, checks):
    for _ in range(throttle.PER_PAIR):
        sign_in(client, password="wrong password!")
    checks.clear()
    refused = sign_in(client)
    assert refused.status_code == 429
    assert checks == []
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60


def test_an_attacker_at_one_address_does_not_lock_the_officer_out(app, client, officer):
    for _ in range(10):
        sign_in(client, password="guess guess guess", address="203.0.113.66")
    assert sign_in(client, address="203.0.113.66").status_code == 429  # the attacker's address is throttled
    assert sign_in(client, address="198.51.100.20").status_code == 302  # the officer's is not


def test_throttled_attempts_do_not_count_towards_the_account_wide_ceiling(app, client, officer):
    with app.app_context():
        for _ in range(throttle.PER_ACCOUNT * 2):
            throttle.begin(EMAIL, "203.0.113.66")
    assert sign_in(client, address="198.51.100.20").status_code == 302


def failures_from_many_addresses(app, count):
    """`count` failed attempts on the account, spread so that no (account, address) pair is throttled."""
    with app.app_context():
        for number in range(count):
            attempt = throttle.begin(EMAIL, f"203.0.113.{number // (throttle.PER_PAIR - 1)}")
            assert not attempt.blocked


def test_guessing_spread_over_many_addresses_meets_the_account_wide_ceiling(app, client, officer, checks):
    failures_from_many_addresses(app, throttle.PER_ACCOUNT - 1)
    assert sign_in(client, password="guess guess guess", address="192.0.2.1").status_code == 200
    checks.clear()
    refused = sign_in(client, address="192.0.2.2")
    assert refused.status_code == 429 and checks == []
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_an_address_the_officer_signed_in_from_gets_through_the_ceiling(app, client, officer):
    assert sign_in(client, address="198.51.100.20").status_code == 302
    client.post("/console/logout", data={"csrf_token": csrf(client.get("/console/FR/"))})
    failures_from_many_addresses(app, throttle.PER_ACCOUNT)
    assert sign_in(app.test_client(), address="192.0.2.2").status_code == 429
    assert sign_in(app.test_client(), address="198.51.100.20").status_code == 302


def test_the_ceiling_lifts_after_an_hour(app, client, officer):
    failures_from_many_addresses(app, throttle.PER_ACCOUNT)
    assert sign_in(client, address="192.0.2.2").status_code == 429
    with app.app_context():
        for row in db.session.scalars(select(SignInAttempt)):
            row.at -= timedelta(minutes=61)
        db.session.commit()
    assert sign_in(client, address="192.0.2.2").status_code == 302


def test_a_right_password_clears_only_its_own_addresses_failures(app, client, officer):
    for _ in range(throttle.PER_PAIR):
        sign_in(client, password="guess guess guess", address="203.0.113.66")
    for _ in range(throttle.PER_PAIR - 1):
        sign_in(client, password="typo typo typo", address="198.51.100.20")
    assert sign_in(client, address="198.51.100.20").status_code == 302
    assert sign_in(client, address="203.0.113.66").status_code == 429


def test_an_unknown_account_is_throttled_like_a_real_one(app, client, officer, checks):
    for _ in range(throttle.PER_PAIR):
        assert sign_in(client, "nobody@fr.example", "guess guess guess").status_code == 200
    assert sign_in(client, "nobody@fr.example", "guess guess guess").status_code == 429
    assert len(checks) == throttle.PER_PAIR
