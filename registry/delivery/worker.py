"""The delivery worker: `registry deliver`, or a thread of `registry serve` (docs/delivery.md, "The worker").

A round claims the subscriptions that have something to do — a verification, a lease to
renew, versions after their cursor — and handles each on a thread of its pool. A claim is
a lease on the row (claimed_by, claimed_until), taken in a short transaction that on
PostgreSQL selects with FOR UPDATE SKIP LOCKED and on SQLite holds the write lock: two
workers never hold the same subscription, and a worker that dies loses its claims when
their lease ends. The cursor moves only after the receiver accepted the message: each
subscription's outcome is kept until its round ends, and the round writes them all, releasing
the claims, in one transaction. A worker killed in between sends that round's entries again.
"""
import logging
import random
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update

from ..db import db, utcnow
from ..history import Selection
from ..models import Subscription, Version, VersionSubstance
from ..workflow import reconfirmation
from . import DeliveryFailed, mail, public_base, settings, subscriptions, topics, websub

log = logging.getLogger(__name__)
CLAIM_LEASE = timedelta(minutes=5)  # longer than any delivery's timeouts
REMINDER_EVERY_S = 600.0  # 10 minutes: how often a worker sends the reconfirmation reminders that fell due


def backoff(failures: int, base_s: float, max_s: float) -> timedelta:
    """How long to wait after the n-th consecutive failure: doubling from base_s up to max_s, with ±50 % jitter."""
    return timedelta(seconds=min(base_s * 2 ** (failures - 1), max_s) * random.uniform(0.5, 1.5))  # nosec B311: jitter, not secrecy


def claim(worker: str, limit: int) -> list[int]:
    """Take up to `limit` subscriptions that have something to do now; their ids."""
    now = utcnow()
    session = db.session()
    if session.scalar(_due(now, subscriptions.head_seq()).limit(1)) is None:
        session.rollback()
        return []  # the usual answer, found without taking the write lock
    session.rollback()
    session.connection(execution_options={"registry_write": True})  # SQLite: BEGIN IMMEDIATE
    due = _due(now, subscriptions.head_seq()).limit(limit).with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if ids:
        session.execute(update(Subscription).where(Subscription.id.in_(ids))
                        .values(claimed_by=worker, claimed_until=now + CLAIM_LEASE))
    session.commit()
    return ids


def _due(now, head: int):
    return (select(Subscription.id)
            .where(Subscription.next_attempt_at <= now,
                   or_(Subscription.claimed_until.is_(None), Subscription.claimed_until < now),
                   or_(Subscription.pending_mode.is_not(None),
                       and_(Subscription.state == "active",
                            or_(Subscription.cursor < head, Subscription.renew_at <= now))))
            .order_by(Subscription.next_attempt_at, Subscription.id))


def pending(subscription: Subscription, criteria, batch: int) -> tuple[list[Version], int]:
    """The versions after a subscription's cursor that it follows (at most `batch`), and where its cursor may then go.

    When fewer than `batch` are found, nothing else it follows lies before the head read first,
    so the cursor may skip to that head.
    """
    head = subscriptions.head_seq()
    query = select(Version).where(Version.seq > subscription.cursor, Version.seq <= head)
    for criterion in criteria:
        query = criterion(query)
    versions = list(db.session.scalars(query.order_by(Version.seq).limit(batch)))
    return versions, (versions[-1].seq if len(versions) == batch else head)


def _websub_criteria(topic_selection: Selection):
    """The topic's one criterion, as a filter on the versions query."""
    if topic_selection.country is not None:
        yield lambda query: query.where(Version.country == topic_selection.country)
    if topic_selection.section is not None:
        yield lambda query: query.where(Version.section == topic_selection.section)
    if topic_selection.substance is not None:
        yield lambda query: query.where(Version.seq.in_(
            select(VersionSubstance.seq).where(VersionSubstance.substance == topic_selection.substance)))


def _email_criteria(chosen: dict[str, list[str]]):
    if chosen["countries"]:
        yield lambda query: query.where(Version.country.in_(chosen["countries"]))
    if chosen["sections"]:
        yield lambda query: query.where(Version.section.in_(chosen["sections"]))
    if chosen["substances"]:
        yield lambda query: query.where(Version.seq.in_(
            select(VersionSubstance.seq).where(VersionSubstance.substance.in_(chosen["substances"]))))


class Worker:
    """Delivers until stopped; several may run at once, in one process or many."""

    def __init__(self, app, *, name: str | None = None, threads: int | None = None):
        self.app = app
        self.settings = settings(app)
        self.name = name or secrets.token_hex(8)
        self.pool = ThreadPoolExecutor(threads or self.settings.threads, thread_name_prefix="deliver")
        self.remind_every_s = float(app.config.get("REGISTRY_REMINDER_EVERY_S", REMINDER_EVERY_S))
        self.reminded_at: float | None = None  # time.monotonic() of the last reminders' round

    def run(self, stop: threading.Event) -> None:
        """Rounds until `stop` is set; an idle worker looks again every poll_s."""
        while not stop.is_set():
            try:
                self.remind()
                done = self.run_once()
            except Exception:  # the database went away, say: log, wait, try again
                log.exception("A delivery round failed")
                done = 0
            if not done:
                stop.wait(self.settings.poll_s)
        self.pool.shutdown(wait=True)

    def remind(self) -> None:
        """Every remind_every_s, e-mail the reconfirmation reminders that fell due (registry/workflow/reconfirmation.py)."""
        if self.reminded_at is not None and time.monotonic() - self.reminded_at < self.remind_every_s:
            return
        self.reminded_at = time.monotonic()
        with self.app.app_context():
            try:
                reconfirmation.send_reminders(lambda message: mail.send(message, self.settings), self.settings.mail_from,
                                              public_base(self.app))
            finally:
                db.session.remove()

    def run_once(self) -> int:
        """One round: claim what is due, handle it, and write every outcome in one transaction; how many were handled.

        One write a round rather than one a delivery: on SQLite each write waits for the one write lock, which
        publications wait for too (docs/performance.md, "Push delivery").
        """
        with self.app.app_context():
            try:
                ids = claim(self.name, self.pool._max_workers * 4)
            finally:
                db.session.remove()
        outcomes = [outcome for outcome in self.pool.map(self._handle, ids) if outcome is not None]
        if outcomes:
            with self.app.app_context():
                try:
                    _write_lock()
                    for outcome in outcomes:
                        db.session.merge(outcome)
                    db.session.commit()
                finally:
                    db.session.remove()
        return len(ids)

    def _handle(self, subscription_id: int) -> Subscription | None:
        with self.app.app_context():
            try:
                return handle(subscription_id, self.name, self.settings)
            except Exception:
                log.exception("Delivery to subscription %s failed unexpectedly", subscription_id)
                db.session.rollback()
                _release_after_error(subscription_id, self.name)
                return None
            finally:
                db.session.remove()


def _release_after_error(subscription_id: int, worker: str) -> None:
    db.session.execute(update(Subscription).where(Subscription.id == subscription_id, Subscription.claimed_by == worker)
                       .values(claimed_by=None, claimed_until=None, next_attempt_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()


def handle(subscription_id: int, worker: str, config) -> Subscription | None:
    """Do what one claimed subscription needs: verify intent, renew its lease, deliver what follows its cursor.

    The subscription is read, then detached from the session: what it becomes (cursor, state, failures, the claim
    released) is returned for the round to write (Worker.run_once), and no transaction is open while a receiver
    is asked. None when the claim was lost.
    """
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.claimed_by != worker:
        return None
    db.session.expunge(subscription)
    db.session.commit()
    now = utcnow()
    try:
        if subscription.kind != "websub" or _websub_intent(subscription, config, now):
            if subscription.state == "active":
                _deliver(subscription, config, now)
    except DeliveryFailed as failure:
        _failed(subscription, failure, config, now)
    subscription.claimed_by = subscription.claimed_until = None
    return subscription


def _websub_intent(subscription: Subscription, config, now) -> bool:
    """Verify a pending (un)subscription, or renew a lease that nears its end; False when the subscription ended."""
    if subscription.pending_mode:
        mode = subscription.pending_mode
        if _confirms(subscription, mode, config):
            subscriptions.verified(subscription, mode, now)
        else:
            subscriptions.not_verified(subscription, mode)
    elif subscription.state == "active" and subscription.renew_at is not None and subscription.renew_at <= now:
        if _confirms(subscription, "subscribe", config):
            subscriptions.verified(subscription, "subscribe", now)
        elif subscription.expires_at <= now:
            subscriptions.end(subscription)
        else:  # try again before the lease ends
            subscription.renew_at = now + min(backoff(1, config.retry_base_s, config.retry_max_s), subscription.expires_at - now)
    return subscription.state != "ended"


def _confirms(subscription: Subscription, mode: str, config) -> bool:
    """Whether the subscriber confirms its intent; a callback that cannot be reached does not (WebSub §5.3)."""
    try:
        return _request(websub.verify, subscription, mode, config)
    except DeliveryFailed as failure:
        subscription.last_error = str(failure)[:1000]
        return False


def _write_lock() -> None:
    """End the transaction that read what to do, and begin one that holds the write lock for the writes it decided.

    On SQLite a read transaction cannot become a write one once anything else was committed after it
    began ("database is locked"), as a publication during the round would be.
    """
    db.session.commit()
    db.session.connection(execution_options={"registry_write": True})


def _request(call, *arguments):
    """Make a request to a receiver with no transaction open while it waits (the subscription is detached: handle)."""
    db.session.commit()
    return call(*arguments)


def _deliver(subscription: Subscription, config, now) -> None:
    if subscription.kind == "websub":
        topic_selection = topics(current_app).selection(subscription.topic)
        if topic_selection is None:  # a feed that no longer exists (a substance removed from the reference data)
            subscriptions.end(subscription)
            return
        versions, cursor = pending(subscription, _websub_criteria(topic_selection), config.batch)
        if versions:
            _request(websub.distribute, subscription, topics(current_app).document(subscription.topic, versions), config)
        next_attempt = now
    else:
        versions, cursor = pending(subscription, _email_criteria(subscriptions.filters(subscription)), config.batch)
        if versions:
            _request(mail.deliver, subscription, versions, config)
        next_attempt = mail.next_send(subscription, now) if versions else subscription.next_attempt_at
    subscription.cursor = cursor
    subscription.next_attempt_at = next_attempt
    subscription.failures, subscription.failing_since, subscription.last_error = 0, None, None
    if versions:
        subscription.last_delivered_at = now
        subscription.delivered += len(versions)


def _failed(subscription: Subscription, failure: DeliveryFailed, config, now) -> None:
    """Count a failure, wait longer each time, and suspend after suspend_after_s of failing (or at once when permanent)."""
    subscription.failures += 1
    subscription.failing_since = subscription.failing_since or now
    subscription.last_error = str(failure)[:1000]
    subscription.next_attempt_at = now + backoff(subscription.failures, config.retry_base_s, config.retry_max_s)
    if failure.permanent or (now - subscription.failing_since).total_seconds() >= config.suspend_after_s:
        subscription.state = "suspended"
        log.warning("Subscription %s suspended after %s failures: %s", subscription.id, subscription.failures, failure)
        if subscription.kind == "email":
            mail.tell_suspended(subscription, config)


def start_thread(app) -> threading.Event:
    """A worker on a daemon thread of this process (registry serve); set the returned event to stop it."""
    stop = threading.Event()
    worker = Worker(app)
    threading.Thread(target=worker.run, args=(stop,), name="registry-deliver", daemon=True).start()
    return stop
