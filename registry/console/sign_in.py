"""Throttling of console sign-ins: failed attempts counted per account and per address.

The counts live in the database (sign_in_attempts), so every worker process of a
deployment sees the same ones. Only failures are kept, only for the window, and
the e-mail address only as its SHA-256: enough to count, not to list who tried.
"""
import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select

from ..accounts import normalize_email
from ..db import db, utcnow, write_transaction
from ..models import SignInAttempt

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures within WINDOW that lock an account's sign-in
# Higher than PER_ACCOUNT because the officers of one authority often share one
# office address; it stops one address from guessing across many accounts.
PER_ADDRESS = 20


def _email_hash(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()


def _address(remote_addr: str | None) -> str:
    return (remote_addr or "")[:64]


def blocked(email: str, remote_addr: str | None) -> bool:
    """Whether sign-in is refused for now, for that account or from that address."""
    since = utcnow() - WINDOW
    recent = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at > since)
    by_account = db.session.scalar(recent.where(SignInAttempt.email_hash == _email_hash(email)))
    by_address = db.session.scalar(recent.where(SignInAttempt.remote_addr == _address(remote_addr)))
    return by_account >= PER_ACCOUNT or by_address >= PER_ADDRESS


def failed(email: str, remote_addr: str | None) -> None:
    """Count a failed attempt, and forget those older than the window."""
    now = utcnow()
    with write_transaction() as session:
        session.execute(delete(SignInAttempt).where(SignInAttempt.at <= now - WINDOW))
        session.add(SignInAttempt(at=now, email_hash=_email_hash(email), remote_addr=_address(remote_addr)))


def succeeded(email: str) -> None:
    """A correct password clears the account's failures."""
    with write_transaction() as session:
        session.execute(delete(SignInAttempt).where(SignInAttempt.email_hash == _email_hash(email)))
