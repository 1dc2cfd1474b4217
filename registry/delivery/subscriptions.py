"""Asking for, verifying, confirming and ending subscriptions (docs/delivery.md, "Subscribing").

The surfaces (the WebSub hub in the feeds, the /subscribe pages) call these functions; they
answer `Refused` with the HTTP status to give. A new subscription's cursor is the head of the
changes log when it was asked for: it receives what is published afterwards.
"""
import hashlib
import ipaddress
import json
import re
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from .. import reference
from ..db import db, utcnow
from ..documents import SECTIONS
from ..models import Subscription, SubscriptionRequest, Version
from . import settings, topics

LEASE_DEFAULT_S = 10 * 24 * 3600  # what a subscriber gets when it asks for no lease
LEASE_MIN_S = 60
LEASE_MAX_S = 30 * 24 * 3600
SECRET_MAX_BYTES = 199  # WebSub §5.1: hub.secret "MUST be less than 200 bytes"
CALLBACK_MAX = 2000
ADDRESS_MAX = 254  # RFC 5321's limit on a path, less its angle brackets
CADENCES = ("immediate", "daily", "weekly")
# Requests accepted per hour, per callback or address asked for and per client address.
REQUESTS_PER_TARGET = 10
REQUESTS_PER_CLIENT = 60
REQUEST_WINDOW = timedelta(hours=1)
REQUEST_KEPT = timedelta(days=1)
UNCONFIRMED_KEPT = timedelta(days=7)  # an e-mail subscription not confirmed within it ends
# Enough to tell a mistyped address, not an attempt to validate every address RFC 5322 allows.
ADDRESS = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


class Refused(Exception):
    """A subscription request the registry does not accept, with the status to answer."""

    def __init__(self, message: str, status: int = 400, *, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def head_seq() -> int:
    return db.session.scalar(select(func.max(Version.seq))) or 0


def check_callback(url: str, *, allow_private: bool) -> None:
    """Refuse a callback the hub must not call: not https, or reaching a loopback, link-local or private address.

    Its name is resolved here and again before every request (websub.py), so that a name that
    later resolves to an inside address is refused then too. With allow_private
    (REGISTRY_ALLOW_PRIVATE_CALLBACKS, for tests and local use) http and every address are allowed.
    """
    if len(url) > CALLBACK_MAX:
        raise Refused(f"hub.callback is longer than {CALLBACK_MAX} characters.")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise Refused("hub.callback must be an https URL." if not allow_private else "hub.callback must be an http or https URL.")
    if parts.username or parts.password:
        raise Refused("hub.callback must not carry a user name or password.")
    if allow_private:
        return
    try:
        port = parts.port or 443
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise Refused(f"hub.callback's host {parts.hostname} cannot be resolved.") from None
    for _family, _type, _proto, _name, address in found:
        ip = ipaddress.ip_address(address[0].split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise Refused(f"hub.callback's host {parts.hostname} resolves to {ip}, which is not a public address.")


def _target_hash(target: str) -> str:
    return hashlib.sha256(target.strip().lower().encode()).hexdigest()


def _admit(target: str, remote_addr: str | None) -> None:
    """Count a request against the limits per callback or address and per client (Refused 429 beyond them)."""
    now = utcnow()
    client = remote_addr or "unknown"
    digest = _target_hash(target)
    db.session.execute(delete(SubscriptionRequest).where(SubscriptionRequest.at < now - REQUEST_KEPT))
    # An address nobody confirmed is not kept: its owner may never have asked.
    db.session.execute(update(Subscription).where(Subscription.kind == "email", Subscription.state == "pending",
                                                  Subscription.created_at < now - UNCONFIRMED_KEPT)
                       .values(state="ended", address=None, token=None))
    since = now - REQUEST_WINDOW
    count = lambda *criteria: db.session.scalar(select(func.count()).select_from(SubscriptionRequest)  # noqa: E731
                                                .where(SubscriptionRequest.at >= since, *criteria))
    if count(SubscriptionRequest.target_hash == digest) >= REQUESTS_PER_TARGET or \
            count(SubscriptionRequest.remote_addr == client) >= REQUESTS_PER_CLIENT:
        db.session.commit()
        raise Refused("Too many subscription requests; try again in an hour.", 429, retry_after=int(REQUEST_WINDOW.total_seconds()))
    db.session.add(SubscriptionRequest(at=now, target_hash=digest, remote_addr=client[:64]))


def lease(asked: str | int | None) -> int:
    """The lease the hub grants: what was asked, within LEASE_MIN_S … LEASE_MAX_S; the default when nothing was."""
    if asked in (None, ""):
        return LEASE_DEFAULT_S
    try:
        seconds = int(asked)
    except (TypeError, ValueError):
        raise Refused("hub.lease_seconds must be a whole number of seconds.") from None
    return max(LEASE_MIN_S, min(LEASE_MAX_S, seconds))


def websub(mode: str, topic: str, callback: str, *, lease_seconds=None, secret: str | None = None,
           remote_addr: str | None = None) -> Subscription | None:
    """Record a WebSub (un)subscription request for the worker to verify (the hub answers 202).

    A request for a topic and callback already subscribed replaces its secret and lease once
    verified. Unsubscribing what is not subscribed is accepted and does nothing (None).
    """
    if mode not in ("subscribe", "unsubscribe"):
        raise Refused("hub.mode must be subscribe or unsubscribe.")
    if not topic:
        raise Refused("hub.topic is missing.")
    if not callback:
        raise Refused("hub.callback is missing.")
    if topics(current_app).selection(topic) is None:
        raise Refused(f"{topic} is not a feed of this registry: topics are the URLs of its Atom feeds.")
    check_callback(callback, allow_private=settings(current_app).allow_private_callbacks)
    if secret is not None and len(secret.encode()) > SECRET_MAX_BYTES:
        raise Refused(f"hub.secret must be shorter than {SECRET_MAX_BYTES + 1} bytes.")
    granted = lease(lease_seconds)
    _admit(callback, remote_addr)
    now = utcnow()
    existing = db.session.scalar(select(Subscription).where(
        Subscription.kind == "websub", Subscription.topic == topic, Subscription.callback == callback,
        Subscription.state != "ended"))
    if mode == "unsubscribe":
        if existing is not None:
            existing.pending_mode, existing.next_attempt_at = "unsubscribe", now
        db.session.commit()
        return existing
    subscription = existing or Subscription(
        kind="websub", state="pending", topic=topic, callback=callback, cursor=head_seq(), created_at=now)
    subscription.pending_mode, subscription.next_attempt_at = "subscribe", now
    if existing is None:
        subscription.secret, subscription.lease_seconds = secret or None, granted
    else:  # kept aside until the subscriber confirms: nobody else may change where or how it is signed
        subscription.pending_secret, subscription.pending_lease_seconds = secret or None, granted
    db.session.add(subscription)
    db.session.commit()
    return subscription


def verified(subscription: Subscription, mode: str, now) -> None:
    """The subscriber confirmed its intent (websub.verify): start or renew its lease, or end it."""
    subscription.pending_mode = None
    if mode == "unsubscribe":
        end(subscription)
        return
    if subscription.pending_lease_seconds is not None:  # a renewed request's secret and lease take effect now
        subscription.secret, subscription.lease_seconds = subscription.pending_secret, subscription.pending_lease_seconds
        subscription.pending_secret = subscription.pending_lease_seconds = None
    if subscription.state in ("pending", "suspended"):
        subscription.failures, subscription.failing_since, subscription.last_error = 0, None, None
    subscription.state = "active"
    subscription.confirmed_at = subscription.confirmed_at or now
    subscription.expires_at = now + timedelta(seconds=subscription.lease_seconds)
    # Verified again when a tenth of the lease remains, so that a subscriber that is still there never lapses.
    subscription.renew_at = subscription.expires_at - timedelta(seconds=subscription.lease_seconds // 10)


def not_verified(subscription: Subscription, mode: str) -> None:
    """The subscriber did not confirm: a new subscription or a lapsed lease ends; an unsubscription, or a renewed
    request's secret and lease, are dropped."""
    subscription.pending_mode = None
    subscription.pending_secret = subscription.pending_lease_seconds = None
    if mode == "subscribe" and (subscription.state == "pending" or subscription.expires_at is None
                                or subscription.expires_at <= utcnow()):
        end(subscription)


def end(subscription: Subscription) -> None:
    """End a subscription and forget how to reach the subscriber (the row stays, for the counts)."""
    subscription.state, subscription.pending_mode = "ended", None
    subscription.callback, subscription.secret, subscription.address = None, None, None
    subscription.pending_secret = subscription.pending_lease_seconds = None
    subscription.claimed_by = subscription.claimed_until = None


def _codes(values, known, what: str) -> list[str]:
    values = sorted({value for value in (values or []) if value})
    unknown = [value for value in values if not known(value)]
    if unknown:
        raise Refused(f"Unknown {what}: {', '.join(unknown)}.")
    return values


def normalized_address(address: str) -> str:
    address = (address or "").strip()
    if len(address) > ADDRESS_MAX or not ADDRESS.match(address):
        raise Refused("That is not an e-mail address.")
    return address


def email(address: str, *, countries=(), sections=(), substances=(), language: str = "en", cadence: str = "immediate",
          remote_addr: str | None = None) -> Subscription:
    """A pending e-mail subscription; it starts when the link sent to the address is followed (confirm)."""
    from ..i18n import LANGUAGES

    address = normalized_address(address)
    filters = {
        "countries": _codes(countries, lambda code: reference.country(code) is not None, "countries"),
        "sections": _codes(sections, lambda section: section in SECTIONS, "sections"),
        "substances": _codes(substances, lambda key: reference.substance(key) is not None, "substances"),
    }
    if language not in LANGUAGES:
        raise Refused(f"Unknown language: {language}.")
    if cadence not in CADENCES:
        raise Refused(f"Unknown rhythm: {cadence}; choose {', '.join(CADENCES)}.")
    _admit(address, remote_addr)
    now = utcnow()
    subscription = Subscription(kind="email", state="pending", topic="", address=address, language=language, cadence=cadence,
                                token=secrets.token_urlsafe(32), cursor=head_seq(), next_attempt_at=now, created_at=now,
                                **{name: json.dumps(codes) for name, codes in filters.items()})
    db.session.add(subscription)
    db.session.commit()
    return subscription


def by_token(token: str | None) -> Subscription | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Subscription).where(Subscription.kind == "email", Subscription.token == token))


def confirm(subscription: Subscription, first_send) -> None:
    """The address's owner followed the confirmation link: alerts start with what is published from now on.

    `first_send` is when its first message may go (mail.next_send: now, or the next digest).
    """
    if subscription.state != "pending":
        return
    now = utcnow()
    subscription.state, subscription.confirmed_at = "active", now
    subscription.cursor, subscription.next_attempt_at = head_seq(), first_send
    db.session.commit()


def filters(subscription: Subscription) -> dict[str, list[str]]:
    """An e-mail subscription's countries, sections and substances (empty: all)."""
    return {name: json.loads(getattr(subscription, name) or "[]") for name in ("countries", "sections", "substances")}


def change(subscription: Subscription, *, countries=(), sections=(), substances=(), language: str, cadence: str,
           first_send) -> None:
    """New choices for an active or pending e-mail subscription (from its manage page)."""
    from ..i18n import LANGUAGES

    chosen = {
        "countries": _codes(countries, lambda code: reference.country(code) is not None, "countries"),
        "sections": _codes(sections, lambda section: section in SECTIONS, "sections"),
        "substances": _codes(substances, lambda key: reference.substance(key) is not None, "substances"),
    }
    if language not in LANGUAGES or cadence not in CADENCES:
        raise Refused("Unknown language or rhythm.")
    for name, codes in chosen.items():
        setattr(subscription, name, json.dumps(codes))
    if cadence != subscription.cadence:
        subscription.next_attempt_at = first_send
    subscription.language, subscription.cadence = language, cadence
    db.session.commit()


def unsubscribe(subscription: Subscription) -> None:
    """One-click or from the manage page: nothing more is sent, and the address is forgotten."""
    end(subscription)
    db.session.commit()

