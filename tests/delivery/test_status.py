"""What the secretariat and monitoring see of delivery: counts per topic and state, the lag, the failures — never an address."""
import json
from datetime import timedelta

import pytest

from registry import accounts
from registry.db import db, rfc3339, utcnow
from registry.delivery import status
from registry.delivery.subscriptions import head_seq
from registry.delivery.worker import Worker
from registry.models import Subscription

from ..helpers import factories
from ..helpers.console import PASSWORD, sign_in

FR_TOPIC = "http://localhost/feeds/countries/FR.atom"
DE_TOPIC = "http://localhost/feeds/countries/DE.atom?lang=fr"
ALICE, BOB, CAROL = "alice@example.org", "bob@example.org", "carol@example.org"
SECRET_PATH = "/hooks/registry?token=s3cr3t-path-token"


def add(**fields) -> Subscription:
    """A subscription as the worker leaves it: no claim, due now, its cursor at the head unless told."""
    now = utcnow()
    subscription = Subscription(**{"kind": "websub", "state": "active", "topic": FR_TOPIC, "cursor": head_seq(),
                                    "next_attempt_at": now, "created_at": now, **fields})
    db.session.add(subscription)
    db.session.commit()
    return subscription


@pytest.fixture
def subscriptions(app):
    """Three WebSub subscriptions (one up to date, one failing, one suspended) and three e-mail alerts
    (one failing with its address in the SMTP server's answer, one pending, one ended)."""
    now = utcnow()
    with app.app_context():
        add(callback="https://hooks.example.net/ok", secret="x")
        add(callback=f"https://receiver.example.com{SECRET_PATH}", failures=3, failing_since=now - timedelta(minutes=10),
            next_attempt_at=now + timedelta(minutes=4),
            last_error=f"receiver.example.com: ConnectionError: Max retries exceeded with url: {SECRET_PATH}")
        add(topic=DE_TOPIC, state="suspended", callback="https://gone.example.org/cb", failures=41,
            failing_since=now - timedelta(days=3), last_error="The callback answered 410 Gone: the subscriber has gone.")
        add(kind="email", topic="", address=ALICE, language="fr", cadence="immediate", countries=json.dumps(["FR"]),
            failures=2, failing_since=now - timedelta(minutes=1),
            last_error=f"(550, b'5.1.1 <{ALICE}>: Recipient address rejected: user unknown in {BOB}')")
        add(kind="email", topic="", state="pending", address=BOB, language="zh", cadence="daily", token="t" * 40)
        add(kind="email", topic="", state="ended", address=None, language="zh", cadence="daily")


def test_subscriptions_are_counted_per_state_and_per_topic(app, subscriptions):
    with app.app_context():
        assert status.by_state() == {"pending": 1, "active": 3, "suspended": 1, "ended": 1}
        rows = [(row.kind, row.topic, row.cadence, row.language, row.by_state, row.total) for row in status.per_topic()]
    assert rows == [
        ("websub", FR_TOPIC, None, None, {"active": 2}, 2),
        ("websub", DE_TOPIC, None, None, {"suspended": 1}, 1),
        ("email", "", "daily", "zh", {"pending": 1, "ended": 1}, 2),
        ("email", "", "immediate", "fr", {"active": 1}, 1),
    ]


def test_failures_show_the_callbacks_host_and_never_an_address_or_a_callbacks_path(app, subscriptions):
    with app.app_context():
        failures = status.failures()
        assert status.status().failing == 3
    assert [(failure.kind, failure.state, failure.failures) for failure in failures] == [
        ("websub", "suspended", 41), ("websub", "active", 3), ("email", "active", 2)]  # the longest-failing first
    assert [failure.host for failure in failures] == ["gone.example.org", "receiver.example.com", None]
    assert failures[1].topic == FR_TOPIC and failures[1].next_attempt_at > failures[1].failing_since
    assert (failures[2].cadence, failures[2].language) == ("immediate", "fr")
    shown = repr(failures)
    for private in (ALICE, BOB, "s3cr3t", "/hooks/registry", "https://receiver.example.com/"):
        assert private not in shown
    assert failures[2].last_error == "(550, b'5.1.1 <…>: Recipient address rejected: user unknown in …')"


def test_the_lag_is_the_oldest_publication_not_yet_delivered_and_none_once_delivered(app, publisher, subscriber):
    receiver = subscriber()
    with app.app_context():
        add(callback=receiver.callback, secret=receiver.secret)
        add(kind="email", topic="", address=CAROL, cadence="daily", cursor=0,  # a digest waits for its day: no lag
            next_attempt_at=utcnow() + timedelta(hours=20))
        add(state="suspended", callback="https://gone.example.org/cb", cursor=0, failures=9)  # suspended: not waited for
        assert status.oldest_undelivered() is None
    first = publisher.publish("FR", "requirements", factories.requirements())
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60))
    with app.app_context():
        lag = status.oldest_undelivered()
        assert (lag.seq, rfc3339(lag.published_at)) == (first["seq"], first["published_at"])
        assert status.oldest_undelivered(now=lag.published_at + timedelta(seconds=30)).seconds == 30
    worker = Worker(app, threads=2)
    while worker.run_once():
        pass
    worker.pool.shutdown()
    with app.app_context():
        assert status.oldest_undelivered() is None
    assert len(receiver.deliveries) == 1 and len(receiver.ids()) == 2


def test_healthz_reports_the_oldest_undelivered_publication_and_the_subscriptions_by_state(app, client, publisher):
    quiet = client.get("/healthz")
    assert quiet.json["oldest_undelivered"] is None
    assert quiet.json["subscriptions"] == {"pending": 0, "active": 0, "suspended": 0, "ended": 0}
    with app.app_context():
        add(callback="https://hooks.example.net/ok")
    meta = publisher.publish("FR", "requirements", factories.requirements())

    response = client.get("/healthz")

    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    lagging = response.json["oldest_undelivered"]
    assert lagging["seq"] == meta["seq"] == response.json["last_seq"]
    assert lagging["published_at"] == meta["published_at"]
    assert 0 <= lagging["lag_seconds"] < 5
    assert response.json["subscriptions"] == {"pending": 0, "active": 1, "suspended": 0, "ended": 0}


@pytest.fixture
def accounts_signed_in(app):
    """sign(client, "secretariat" | "FR") signs the client in as the secretariat or as France's officer."""
    emails = {"secretariat": "secretariat@registry.example", "FR": "officer@fr.example"}
    with app.app_context():
        accounts.add_account(emails["secretariat"], country=None, secretariat=True, password=PASSWORD)
        accounts.add_account(emails["FR"], country="FR", secretariat=False, password=PASSWORD)
    return lambda client, who: sign_in(client, emails[who])


def test_the_secretariat_sees_counts_lag_and_failures_with_no_address(app, client, subscriptions, publisher, accounts_signed_in):
    publisher.publish("FR", "requirements", factories.requirements())
    accounts_signed_in(client, "secretariat")

    page = client.get("/console/subscriptions")

    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'href="/console/subscriptions"' in client.get("/console/").get_data(as_text=True)
    assert FR_TOPIC in text and "E-mail alerts, daily digest, in Chinese" in text
    assert "The oldest publication not yet delivered to every subscriber is number 1" in text
    assert "callback on receiver.example.com" in text and "callback on gone.example.org" in text
    assert "410 Gone" in text and "Recipient address rejected" in text
    for private in (ALICE, BOB, "s3cr3t", "/hooks/registry", "hooks.example.net"):
        assert private not in text


def test_a_countrys_officer_gets_403_and_no_link_to_the_subscriptions(client, subscriptions, accounts_signed_in):
    accounts_signed_in(client, "FR")
    refused = client.get("/console/subscriptions")
    assert refused.status_code == 403
    assert "Only the secretariat may see this page." in refused.get_data(as_text=True)
    assert ALICE not in refused.get_data(as_text=True)
    assert "/console/subscriptions" not in client.get("/console/FR/").get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/console/subscriptions")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/login?next=/console/subscriptions"
