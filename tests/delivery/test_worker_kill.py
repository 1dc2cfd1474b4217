"""`registry deliver` as an operator runs it: killed mid-delivery it loses nothing, and two of them never send twice.

The subscribers answer slowly, so that a worker is caught in the middle of a delivery. The
database is the suite's (a SQLite file, or PostgreSQL with REGISTRY_TEST_DATABASE=postgresql);
the test of two workers at once runs on PostgreSQL whatever the suite runs on, since that is
where several workers are supported.
"""
import threading
from collections import Counter

import pytest
from sqlalchemy import select, update

from registry.db import db, utcnow
from registry.models import Subscription

from ..helpers.feeds import FEEDS

LOCAL = "http://localhost"
SLOW_S = 0.4  # how long each subscriber takes over a delivery


@pytest.fixture
def database_url(request, database_url):
    """The suite's database; PostgreSQL for a test marked `postgres`, whatever the suite runs on."""
    if request.node.get_closest_marker("postgres"):
        return request.getfixturevalue("postgres").new()
    return database_url


def slow_subscribers(subscriber, subscribe, count: int) -> list:
    """`count` subscribers, one to each feed in turn, each taking SLOW_S over a delivery; subscribed and verified."""
    made = [subscriber() for _ in range(count)]
    for number, receiver in enumerate(made):
        receiver.delay_s = SLOW_S
        subscribe(receiver, LOCAL + FEEDS[number % 2])  # every publication of France, or of every country
    return made


def test_a_worker_killed_mid_delivery_loses_nothing(app, registry_command, subscriber, subscribe, publish, wait_for):
    first = registry_command("deliver")
    receivers = slow_subscribers(subscriber, subscribe, 4)
    published = [publish() for _ in range(3)]
    wait_for(lambda: sum(receiver.in_flight() for receiver in receivers), what="a delivery under way")

    first.kill()
    first.wait(10)
    published += [publish() for _ in range(3)]
    with app.app_context():  # time passes: the dead worker's claims lapse
        db.session.execute(update(Subscription).where(Subscription.claimed_until.is_not(None)).values(claimed_until=utcnow()))
        db.session.commit()
    registry_command("deliver")

    for receiver in receivers:
        assert set(receiver.wait_for_ids(published)) == set(published)
    assert sum(len(receiver.abandoned) for receiver in receivers) >= 1  # the kill did cut a delivery short


@pytest.mark.postgres
def test_two_workers_on_postgresql_deliver_everything_and_nothing_twice(app, registry_command, subscriber, subscribe,
                                                                        publish, wait_for):
    registry_command("deliver", "--threads", "1")
    receivers = slow_subscribers(subscriber, subscribe, 6)
    registry_command("deliver", "--threads", "1")
    claimants, watching = set(), threading.Event()

    def watch():
        """Who holds claims while the deliveries go on: both workers should."""
        while not watching.is_set():
            with app.app_context():
                claimants.update(db.session.scalars(select(Subscription.claimed_by).where(Subscription.claimed_by.is_not(None))))
                db.session.remove()
            watching.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    published = []
    for _ in range(4):
        published.append(publish())
        wait_for(lambda: all(receiver.in_flight() == 0 for receiver in receivers) and
                 all(set(published) <= set(receiver.ids()) for receiver in receivers), what="the deliveries")
    watching.set()
    watcher.join(5)

    for receiver in receivers:
        assert Counter(receiver.ids()) == Counter(published)  # each exactly once
        assert receiver.abandoned == []
    assert len(claimants) == 2
