"""Throttling of console sign-ins (and of the current-password check when a password is changed).

The policy (docs/deployment.md, "Sessions, sign-in and tokens"):

- per (account, address): PER_PAIR failures within PAIR_WINDOW refuse that address
  for that account, so a guesser at one address cannot lock the officer out from another;
- per address: PER_ADDRESS failures within ADDRESS_WINDOW, whatever the accounts,
  refuse the address (one address guessing across many accounts);
- per account: PER_ACCOUNT failures within ACCOUNT_WINDOW, from any addresses, refuse
  the account's sign-in from every address except those it signed in from
  successfully within KNOWN_FOR (guessing spread over many addresses).

An attempt is counted before its password is checked: begin() counts and records it
as a failure in one serialized write transaction (db.write_transaction: an advisory
lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so concurrent attempts, in any worker
process, cannot all slip under a limit; only then is the password checked, and
succeeded() turns a right one into a success. A refused attempt is not recorded, so
hammering a refused address extends nothing. The counts live in the database
(sign_in_attempts), the e-mail address only as its SHA-256.
"""
import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update

from ..accounts import normalize_email
from ..db import db, utcnow, write_transaction
from ..models import SignInAttempt

PAIR_WINDOW = timedelta(minutes=15)
PER_PAIR = 5
# Higher than PER_PAIR because the officers of one authority often share one office
# address; it stops one address from guessing across many accounts.
ADDRESS_WINDOW = timedelta(minutes=15)
PER_ADDRESS = 20
ACCOUNT_WINDOW = timedelta(hours=1)
PER_ACCOUNT = 50
KNOWN_FOR = timedelta(days=30)  # how long an address that signed in stays exempt from the account-wide ceiling


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt: refused for `wait` when blocked, else recorded (as a failure until succeeded())."""

    id: int | None
    email_hash: str
    remote_addr: str
    wait: timedelta | None = None

    @property
    def blocked(self) -> bool:
        return self.wait is not None

    @property
    def wait_seconds(self) -> int:
        return max(1, math.ceil(self.wait.total_seconds())) if self.wait is not None else 0


def _email_hash(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def _address(remote_addr: str | None) -> str:
    return (remote_addr or "")[:64]


def begin(email: str, remote_addr: str | None) -> Attempt:
    """Count the recent failures and, unless a limit is reached, record this attempt as a failure; atomically."""
    email_hash, address = _email_hash(email), _address(remote_addr)
    now = utcnow()
    failures = select(SignInAttempt.at).where(SignInAttempt.succeeded.is_(False))
    pair = failures.where(SignInAttempt.email_hash == email_hash, SignInAttempt.remote_addr == address)
    limits = [(pair, PAIR_WINDOW, PER_PAIR), (failures.where(SignInAttempt.remote_addr == address), ADDRESS_WINDOW, PER_ADDRESS)]
    with write_transaction() as session:
        session.execute(delete(SignInAttempt).where(or_(
            and_(SignInAttempt.succeeded.is_(False), SignInAttempt.at <= now - max(PAIR_WINDOW, ADDRESS_WINDOW, ACCOUNT_WINDOW)),
            and_(SignInAttempt.succeeded.is_(True), SignInAttempt.at <= now - KNOWN_FOR))))
        known = session.scalar(select(func.count()).select_from(SignInAttempt).where(
            SignInAttempt.succeeded.is_(True), SignInAttempt.email_hash == email_hash, SignInAttempt.remote_addr == address,
            SignInAttempt.at > now - KNOWN_FOR))
        if not known:
            limits.append((failures.where(SignInAttempt.email_hash == email_hash), ACCOUNT_WINDOW, PER_ACCOUNT))
        waits = [_wait(session, query, window, limit, now) for query, window, limit in limits]
        waits = [wait for wait in waits if wait is not None]
        if waits:
            return Attempt(None, email_hash, address, wait=max(waits))
        row = SignInAttempt(at=now, email_hash=email_hash, remote_addr=address, succeeded=False)
        session.add(row)
        session.flush()
        return Attempt(row.id, email_hash, address)


def _wait(session, failures, window: timedelta, limit: int, now: datetime) -> timedelta | None:
    """How long until fewer than `limit` of these failures are within the window; None when they already are."""
    recent = failures.where(SignInAttempt.at > now - window)
    if session.scalar(select(func.count()).select_from(recent.subquery())) < limit:
        return None
    # The limit-th newest failure: once it leaves the window, one more attempt is allowed.
    oldest_that_counts = session.scalar(recent.order_by(SignInAttempt.at.desc()).offset(limit - 1).limit(1))
    return max(oldest_that_counts + window - now, timedelta(seconds=1))


def succeeded(attempt: Attempt) -> None:
    """The password was right: the attempt becomes a success, and its address's failures on the account are cleared."""
    with write_transaction() as session:
        same_pair = and_(SignInAttempt.email_hash == attempt.email_hash, SignInAttempt.remote_addr == attempt.remote_addr)
        session.execute(delete(SignInAttempt).where(same_pair, SignInAttempt.id != attempt.id))
        session.execute(update(SignInAttempt).where(SignInAttempt.id == attempt.id).values(succeeded=True))


def last_sign_ins(emails) -> dict[str, datetime]:
    """When each of these accounts last signed in, where still known (successes are kept for KNOWN_FOR): by e-mail."""
    by_hash = {_email_hash(email): email for email in emails}
    found = select(SignInAttempt.email_hash, func.max(SignInAttempt.at)).where(
        SignInAttempt.succeeded.is_(True), SignInAttempt.email_hash.in_(list(by_hash))).group_by(SignInAttempt.email_hash)
    return {by_hash[email_hash]: at for email_hash, at in db.session.execute(found)} if by_hash else {}
