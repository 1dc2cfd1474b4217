"""What the console and /healthz say of delivery: subscriptions per topic and state, the lag, the failures.

Each figure is one aggregate query, so reading them costs the same for ten subscriptions
as for a hundred thousand. Nothing here names a subscriber: a WebSub subscription shows
its topic and its callback's host, an e-mail subscription its rhythm and language, never
its address (docs/api.md, "Health check").
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select

from ..db import db, utcnow
from ..models import Subscription, Version

STATES = ("pending", "active", "suspended", "ended")
FAILURES_SHOWN = 200  # the longest-failing first; the page says how many there are in all
# Whatever reads as an e-mail address in an SMTP server's or a library's error message.
ADDRESS_LIKE = re.compile(r"[^\s<>\"'(),;:@\[\]]+@[^\s<>\"'(),;:@\[\]]+")
HIDDEN = "…"


@dataclass(frozen=True)
class Lag:
    """The oldest publication that a subscriber should have received and has not: its seq, when, and how long ago."""

    seq: int
    published_at: datetime
    seconds: int


@dataclass(frozen=True)
class Summary:
    """What /healthz reports: subscriptions by state, and the lag (None when every subscriber is up to date)."""

    by_state: dict[str, int]
    oldest_undelivered: Lag | None


@dataclass(frozen=True)
class TopicCount:
    """The subscriptions of one WebSub topic, or the e-mail alerts of one rhythm and language, by state."""

    kind: str
    topic: str  # WebSub: the feed's URL; e-mail: ""
    cadence: str | None  # e-mail only
    language: str | None  # e-mail only
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass(frozen=True)
class Failure:
    """A subscription whose deliveries fail, or that failing suspended; `host` is a WebSub callback's host, no more."""

    kind: str
    state: str
    topic: str
    host: str | None
    cadence: str | None
    language: str | None
    failures: int
    failing_since: datetime | None
    last_error: str | None
    next_attempt_at: datetime


@dataclass(frozen=True)
class Status:
    """Everything the console's Subscriptions page shows."""

    summary: Summary
    topics: list[TopicCount]
    failures: list[Failure]
    failing: int  # in all; `failures` holds at most FAILURES_SHOWN


def by_state() -> dict[str, int]:
    """How many subscriptions there are in each state, every state named (zero included)."""
    found = dict(db.session.execute(select(Subscription.state, func.count()).group_by(Subscription.state)).all())
    return {state: found.get(state, 0) for state in STATES}


def _expected_now():
    """Subscriptions that should already hold everything published: active ones, but not daily or weekly
    digests, which wait for their day by design (an overdue digest shows among the failures)."""
    return and_(Subscription.state == "active",
                or_(Subscription.kind == "websub", Subscription.cadence == "immediate"))


def oldest_undelivered(now: datetime | None = None) -> Lag | None:
    """The first version after the smallest cursor that lies behind the head, in one query.

    That version may be outside the lagging subscription's topic (the worker moves such a
    cursor past it without sending anything), so the lag is an upper bound: it says how
    long the worker has left a subscription behind the changes log.
    """
    head = select(func.max(Version.seq)).scalar_subquery()
    behind = select(func.min(Subscription.cursor)).where(_expected_now(), Subscription.cursor < head).scalar_subquery()
    first = select(func.min(Version.seq)).where(Version.seq > behind).scalar_subquery()
    row = db.session.execute(select(Version.seq, Version.published_at).where(Version.seq == first)).first()
    if row is None:
        return None
    now = now or utcnow()
    return Lag(row.seq, row.published_at, max(0, int((now - row.published_at).total_seconds())))


def summary() -> Summary:
    return Summary(by_state(), oldest_undelivered())


def per_topic() -> list[TopicCount]:
    """WebSub subscriptions per topic, then e-mail alerts per rhythm and language, each by state; the most followed first."""
    kept: dict[tuple, TopicCount] = {}
    websub = (select(Subscription.topic, Subscription.state, func.count()).where(Subscription.kind == "websub")
              .group_by(Subscription.topic, Subscription.state))
    for topic, state, count in db.session.execute(websub):
        kept.setdefault(("websub", topic), TopicCount("websub", topic, None, None)).by_state[state] = count
    email = (select(Subscription.cadence, Subscription.language, Subscription.state, func.count())
             .where(Subscription.kind == "email").group_by(Subscription.cadence, Subscription.language, Subscription.state))
    for cadence, language, state, count in db.session.execute(email):
        kept.setdefault(("email", cadence, language), TopicCount("email", "", cadence, language)).by_state[state] = count
    return sorted(kept.values(), key=lambda row: (row.kind != "websub", -row.total, row.topic, row.cadence or "", row.language or ""))


def _failing():
    return and_(Subscription.state != "ended", or_(Subscription.failures > 0, Subscription.state == "suspended"))


def failures(limit: int = FAILURES_SHOWN) -> list[Failure]:
    """The failing and suspended subscriptions, the longest-failing first; no address, no callback but its host."""
    query = select(Subscription).where(_failing()).order_by(
        Subscription.failing_since.is_(None), Subscription.failing_since, Subscription.id).limit(limit)
    return [_failure(subscription) for subscription in db.session.scalars(query)]


def _failure(subscription: Subscription) -> Failure:
    websub = subscription.kind == "websub"
    return Failure(
        kind=subscription.kind, state=subscription.state, topic=subscription.topic,
        host=urlsplit(subscription.callback).hostname if websub and subscription.callback else None,
        cadence=None if websub else subscription.cadence, language=None if websub else subscription.language,
        failures=subscription.failures, failing_since=subscription.failing_since,
        last_error=_redacted(subscription.last_error, subscription), next_attempt_at=subscription.next_attempt_at)


def _redacted(error: str | None, subscription: Subscription) -> str | None:
    """An error message without the subscriber's address or the callback's path and query, which may carry a token."""
    if not error:
        return error
    callback = subscription.callback and urlsplit(subscription.callback)
    for private in (subscription.address, subscription.callback,
                    callback and callback.path + (f"?{callback.query}" if callback.query else "")):
        if private and private not in ("/", ""):
            error = error.replace(private, HIDDEN)
    return ADDRESS_LIKE.sub(HIDDEN, error)


def status() -> Status:
    failing = db.session.scalar(select(func.count()).select_from(Subscription).where(_failing()))
    return Status(summary(), per_topic(), failures(), failing)
