"""The publishing service: the one way anything is written to a country's notification.

Each publication checks who asks, validates the document, checks the caller's
precondition against the current version, numbers the new version, links it into
the hash chain and records an audit entry, all in one serialized transaction.
A refused attempt is audited too, in a transaction of its own, and stores nothing
else. Versions are only ever inserted.
"""
import json
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from . import chain, changes, history, reference
from .db import db, utcnow, write_transaction
from .documents import SECTIONS, bounded_problems, country_code_problem, normalized, validate_document
from .models import Account, AuditRecord, Confirmation, CountryPolicy, CurrentSection, Setting, Version, VersionSubstance


class PublishingError(Exception):
    """A refused write; `status` is the HTTP status a surface should answer with."""

    status = 400

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class Unreadable(PublishingError):
    status = 400


class NotAuthenticated(PublishingError):
    status = 401


class NotAllowed(PublishingError):
    status = 403


class NotFound(PublishingError):
    status = 404


class Conflict(PublishingError):
    status = 409


class StalePrecondition(PublishingError):
    status = 412


class Invalid(PublishingError):
    status = 422


class TooLarge(PublishingError):
    status = 413


class UnsupportedType(PublishingError):
    status = 415


class PreconditionRequired(PublishingError):
    status = 428


MOMENT = "%Y-%m-%dT%H:%M:%SZ"  # published_at as the chain hashes it (docs/api.md, "Hash chain")
NO_TOKEN = "A valid API token is needed to write: send Authorization: Bearer <token>."  # a message, not a password  # nosec B105
NOT_AN_OBJECT = ("The body must be a JSON object, the section document; nothing was stored. "
                 "To withdraw a section, send DELETE with If-Match.")
MESSAGE_SHOWN = 1_000  # characters of a refusal's message kept in its audit record


@dataclass(frozen=True)
class Actor:
    """Who is writing: an account (None when nobody signed in), by which token, from where."""

    account: Account | None
    token_id: int | None = None
    remote_addr: str | None = None


@dataclass(frozen=True)
class Approval:
    """A publication that a second account approved: the draft's submitter (registry/workflow/drafts.py).

    The approver is the actor. The version names the submitter's authority as its publisher and
    the approver's as `approved_by`; the audit record names both accounts.
    """

    submitted_by: Account


@dataclass(frozen=True)
class Precondition:
    """What the writer believes is current: If-Match tags ("*" for any) or If-None-Match: *."""

    if_match: frozenset[str] = field(default_factory=frozenset)
    if_none_match_any: bool = False

    @property
    def given(self) -> bool:
        return bool(self.if_match) or self.if_none_match_any


def publish(actor: Actor, country: str, section: str, document, precondition: Precondition,
            *, published_at: datetime | None = None, approval: Approval | None = None) -> Version:
    """Publish a new version of a section; the first needs If-None-Match: *, later ones If-Match.

    The document must be an object: a null document is refused, never taken for a withdrawal.
    A country that requires approval publishes only with one (`approval`)."""
    return _audited(actor, "publish", country, section,
                    lambda: _publish(actor, country, section, document, precondition, published_at, approval, withdrawing=False))


def withdraw(actor: Actor, country: str, section: str, precondition: Precondition,
             *, published_at: datetime | None = None, approval: Approval | None = None) -> Version:
    """Withdraw a section: a new version whose document is null."""
    return _audited(actor, "withdraw", country, section,
                    lambda: _publish(actor, country, section, None, precondition, published_at, approval, withdrawing=True))


def requires_approval(country: str) -> bool:
    """Whether the country's publications need a second account's approval (CountryPolicy)."""
    policy = db.session.get(CountryPolicy, country)
    return bool(policy and policy.requires_approval)


def _check_approval(account: Account, country: str, approval: Approval | None) -> None:
    if approval is None:
        if requires_approval(country):
            raise NotAllowed(f"{country} publishes only what a second account approved: save a draft and submit it "
                             "for approval (docs/api.md, \"Drafts and approval\").")
        return
    if approval.submitted_by.id == account.id:
        raise NotAllowed("Nobody may approve their own draft: another account must approve it.")
    if not approval.submitted_by.may_write(country):
        raise NotAllowed(f"The draft's submitter may not write {country}'s notification.")


def confirm(actor: Actor, country: str, section: str, *, confirmed_at: datetime | None = None) -> Confirmation:
    """Record that the current version of a section is still correct."""
    return _audited(actor, "confirm", country, section, lambda: _confirm(actor, country, section, confirmed_at))


def refuse(actor: Actor, action: str, country: str, section: str, refusal: PublishingError):
    """Refuse a write that a surface could not even hand over (an unreadable body): audit, then raise."""
    _record_refusal(actor, action, country, section, refusal)
    raise refusal


def _audited(actor: Actor, action: str, country: str, section: str, work):
    try:
        return work()
    except PublishingError as refusal:
        _record_refusal(actor, action, country, section, refusal)
        raise


def _authorize(actor: Actor, country: str, section: str) -> Account:
    if actor.account is None:
        raise NotAuthenticated(NO_TOKEN)
    if reference.country(country) is None:
        raise NotFound(country_code_problem(country))
    if section not in SECTIONS:
        raise NotFound(f"{section!r} is not a section; sections are {', '.join(SECTIONS)}.")
    if not actor.account.may_write(country):
        raise NotAllowed(f"This account may write only {actor.account.country}'s notification, not {country}'s.")
    return actor.account


def _check_precondition(current: Version | None, precondition: Precondition, *, withdrawing: bool) -> None:
    if not precondition.given:
        if current is None and not withdrawing:
            raise PreconditionRequired("The first version needs the header If-None-Match: * (nothing is published yet).")
        raise PreconditionRequired("Send If-Match with the ETag of the current version, so that nobody's change is overwritten unseen.")
    if current is None:
        if precondition.if_match:
            raise StalePrecondition("Nothing is published in this section yet; If-Match cannot match. Use If-None-Match: * for the first version.")
        if withdrawing:
            raise NotFound("Nothing is published in this section, so there is nothing to withdraw.")
        return
    if precondition.if_none_match_any:
        raise StalePrecondition(f"Version {current.version} is already published; send If-Match with its ETag instead of If-None-Match: *.")
    if "*" not in precondition.if_match and current.hash not in precondition.if_match:
        raise StalePrecondition(
            f"The current version is {current.version}, whose ETag is \"{current.hash}\"; someone published since you read it. "
            "Read the current version again and re-apply your change."
        )


def _publish(actor: Actor, country: str, section: str, document, precondition: Precondition,
             published_at: datetime | None, approval: Approval | None, *, withdrawing: bool) -> Version:
    account = _authorize(actor, country, section)
    _check_approval(account, country, approval)
    if not withdrawing:
        if not isinstance(document, dict):
            raise Invalid(NOT_AN_OBJECT, {"": ["The document must be a JSON object."]})
        problems = validate_document(section, document)
        if problems:
            count = sum(len(messages) for messages in problems.values())
            raise Invalid(f"The {section} document is not valid: {count} problem{'s' if count > 1 else ''}. Nothing was stored.", problems)
        document = normalized(document)
    with write_transaction() as session:
        # Read inside the serialized transaction, so that nobody publishes in between.
        current = history.current(country, section)
        _check_precondition(current, precondition, withdrawing=withdrawing)
        if withdrawing and current.withdrawn:
            raise Conflict(f"Version {current.version} already withdrew this section.")
        head = history.head()
        moment = max(published_at or utcnow(), head.published_at if head else datetime.min)
        difference = changes.describe(section, history.document(current) if current else None, document)
        fields = {
            "country": country,
            "section": section,
            "version": (current.version if current else 0) + 1,
            "seq": (head.seq if head else 0) + 1,
            "published_at": moment.strftime(MOMENT),
            "withdrawn": withdrawing,
            "document": document,
            "prev_hash": head.hash if head else chain.GENESIS_HASH,
        }
        publisher = approval.submitted_by if approval else account
        row = _version_row(fields, published_by=publisher.authority_name, account_id=publisher.id,
                           sentences=difference.sentences, substances=difference.substances)
        detail = {"version": row.version}
        if approval:
            row.approved_by, row.approved_account_id = account.authority_name, account.id
            detail.update(submitted_by=publisher.id, approved_by=account.id)
        session.add(row)
        _make_current(session, row)
        session.add(_audit(actor, "withdraw" if withdrawing else "publish", country, section, "ok",
                           201 if row.version == 1 else 200, seq=row.seq, detail=detail))
    return row


def _confirm(actor: Actor, country: str, section: str, confirmed_at: datetime | None) -> Confirmation:
    _authorize(actor, country, section)
    with write_transaction() as session:
        current = history.current(country, section)
        if current is None:
            raise NotFound("Nothing is published in this section, so there is nothing to confirm.")
        if current.withdrawn:
            raise Conflict("This section is withdrawn; publish a new version instead of confirming.")
        row = Confirmation(seq=current.seq, confirmed_at=confirmed_at or utcnow(), account_id=actor.account.id)
        session.add(row)
        session.add(_audit(actor, "confirm", country, section, "ok", 200, seq=current.seq, detail={"version": current.version}))
    return row


def restore(versions, confirmations=(), *, demo_note: str | None = None) -> int:
    """Rebuild an empty registry from published history (an export bundle), exactly as published.

    `versions` are `{"meta": …, "document": …}` in seq order, as in changes.jsonl;
    `confirmations` are `(seq, confirmed_at)` pairs. Every link and hash is checked
    before anything is kept: a bundle that does not verify leaves the database as it was.
    Returns the number of versions restored.
    """
    with write_transaction() as session:
        if session.scalar(select(Version.seq).limit(1)) is not None:
            raise Conflict("The database already holds publications; restore only into an empty registry.")
        previous_hash, documents, current, count = chain.GENESIS_HASH, {}, {}, 0
        for item in versions:
            meta, document = item["meta"], item["document"]
            fields = {**{name: meta[name] for name in chain.HASHED_FIELDS if name != "document"}, "document": document}
            if meta["seq"] != count + 1 or meta["prev_hash"] != previous_hash or chain.version_hash(fields) != meta["hash"]:
                raise Invalid(f"The history does not verify at seq {meta['seq']}: the bundle was altered or is incomplete.")
            key = (meta["country"], meta["section"])
            touched = changes.describe(meta["section"], documents.get(key), document).substances
            restored = _version_row(fields, published_by=meta["published_by"], account_id=None,
                                    sentences=meta["changes"], substances=touched)
            restored.approved_by = meta.get("approved_by")
            session.add(restored)
            documents[key], current[key] = document, meta["seq"]
            previous_hash, count = meta["hash"], count + 1
            if count % 1000 == 0:
                session.flush()
        session.flush()
        session.add_all(CurrentSection(country=country, section=section, seq=seq) for (country, section), seq in current.items())
        for seq, confirmed_at in confirmations:
            session.add(Confirmation(seq=seq, confirmed_at=confirmed_at, account_id=None))
        if demo_note:
            session.add(Setting(key=history.DEMO_SETTING, value=demo_note))
        session.add(_audit(Actor(None), "restore", None, None, "ok", 200, seq=count or None, detail={"versions": count}))
    return count


def _make_current(session, row: Version) -> None:
    """Make `row` its section's current version (CurrentSection), in the transaction that publishes it."""
    session.flush()  # the version first: the entry refers to it
    session.merge(CurrentSection(country=row.country, section=row.section, seq=row.seq))


def _version_row(fields: dict, *, published_by: str, account_id: int | None, sentences: list[str],
                 substances) -> Version:
    """A version row from its hashed fields (chain.HASHED_FIELDS): how publishing and restore both build one."""
    document = fields["document"]
    row = Version(
        seq=fields["seq"],
        country=fields["country"],
        section=fields["section"],
        version=fields["version"],
        published_at=datetime.strptime(fields["published_at"], MOMENT),
        published_by=published_by,
        account_id=account_id,
        withdrawn=fields["withdrawn"],
        document=None if document is None else chain.canonical_json(document),
        changes=chain.canonical_json(sentences),
        prev_hash=fields["prev_hash"],
        hash=chain.version_hash(fields),
    )
    row.substances = [VersionSubstance(substance=key) for key in sorted(substances)]
    return row


def _audit(actor: Actor, action: str, country: str, section: str, outcome: str, status: int,
           *, seq: int | None = None, detail: dict | None = None) -> AuditRecord:
    return AuditRecord(
        at=utcnow(),
        account_id=actor.account.id if actor.account is not None else None,
        token_id=actor.token_id,
        action=action,
        country=(country or "")[:8],
        section=(section or "")[:32],
        outcome=outcome,
        status=status,
        seq=seq,
        detail=json.dumps(detail, ensure_ascii=True) if detail is not None else None,
        remote_addr=(actor.remote_addr or "")[:64] or None,
    )


def _record_refusal(actor: Actor, action: str, country: str, section: str, refusal: PublishingError) -> None:
    if actor.account is None:
        # Anyone can send writes without a token: one record per address and minute, the rest counted.
        audit_now, summaries = anonymous_refusals().admit(actor.remote_addr)
        if summaries or audit_now:
            with write_transaction() as session:
                session.add_all(_summary(summary) for summary in summaries)
                if audit_now:
                    session.add(_audit(actor, action, country, section, "refused", refusal.status, detail=refusal_detail(refusal)))
        return
    with write_transaction() as session:
        session.add(_audit(actor, action, country, section, "refused", refusal.status, detail=refusal_detail(refusal)))


def refusal_detail(refusal: PublishingError) -> dict:
    """What an audit record keeps of a refusal: its message and the offending field paths, bounded
    (documents.bounded_problems, as in the answer) whatever the input; ensure_ascii keeps odd input storable anywhere."""
    message = refusal.message
    detail = {"message": message if len(message) <= MESSAGE_SHOWN else message[:MESSAGE_SHOWN - 1] + "…"}
    if refusal.errors:
        detail["errors"], omitted = bounded_problems(refusal.errors)
        if omitted:
            detail["errors_omitted"] = omitted
    return detail


# -- writes without a valid token ------------------------------------------------------------------


@dataclass
class _Window:
    """One address's refusals in one minute: the first was audited, the rest are counted."""

    started: float  # monotonic
    first_at: datetime
    last_at: datetime
    refused: int = 1  # refusals in the window, the audited first one included
    throttled: int = 0  # of which answered 429 without any database work


@dataclass(frozen=True)
class RefusalSummary:
    remote_addr: str | None
    first_at: datetime
    last_at: datetime
    unrecorded: int  # refusals not recorded one by one
    throttled: int


class AnonymousRefusals:
    """Writes refused for want of a valid token, per client address, in this process's memory.

    The first refusal from an address in a window of WINDOW_S seconds is audited as usual; the
    others are counted, and one summary record per address and window is written once the window
    is over (with the next refusal from anyone). Past LIMIT refusals in a window the address is
    answered 429 with Retry-After before any database work, until the window ends. Anyone may send
    such requests: without this, 3,000 of them made 3,000 audit rows in 15 seconds.
    """

    WINDOW_S = 60.0
    LIMIT = 30
    ADDRESSES_MAX = 10_000

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()  # oldest window first
        self._closed: list[RefusalSummary] = []
        self._lock = threading.Lock()

    def retry_after(self, remote_addr: str | None) -> int | None:
        """Seconds to wait when the address is over the limit (the attempt is counted), else None."""
        key, now = remote_addr or "", self.clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window.started >= self.WINDOW_S or window.refused < self.LIMIT:
                return None
            window.refused += 1
            window.throttled += 1
            window.last_at = utcnow()
            return max(1, math.ceil(window.started + self.WINDOW_S - now))

    def admit(self, remote_addr: str | None) -> tuple[bool, list[RefusalSummary]]:
        """Count one refusal: whether to audit it on a record of its own, and the summaries now due."""
        key, now, moment = remote_addr or "", self.clock(), utcnow()
        with self._lock:
            self._close(now)
            window = self._windows.get(key)
            audit_now = window is None
            if window is None:
                self._windows[key] = _Window(started=now, first_at=moment, last_at=moment)
                while len(self._windows) > self.ADDRESSES_MAX:
                    self._end(*self._windows.popitem(last=False))
            else:
                window.refused += 1
                window.last_at = moment
            due, self._closed = self._closed, []
        return audit_now, due

    def _close(self, now: float) -> None:
        while self._windows:
            key, window = next(iter(self._windows.items()))
            if now - window.started < self.WINDOW_S:
                break
            del self._windows[key]
            self._end(key, window)

    def _end(self, key: str, window: _Window) -> None:
        if window.refused > 1:
            self._closed.append(RefusalSummary(key or None, window.first_at, window.last_at, window.refused - 1, window.throttled))


def anonymous_refusals() -> AnonymousRefusals:
    """This application's count of writes refused without a valid token (kept in app.extensions)."""
    found = current_app.extensions.get("anonymous_refusals")
    if found is None:
        found = current_app.extensions.setdefault("anonymous_refusals", AnonymousRefusals())
    return found


def throttled(remote_addr: str | None) -> int | None:
    """Seconds an address must wait before its next write is even looked at (429), or None."""
    return anonymous_refusals().retry_after(remote_addr)


def _summary(summary: RefusalSummary) -> AuditRecord:
    detail = {
        "message": (f"{summary.unrecorded} more writes without a valid token from this address were refused "
                    f"and not recorded one by one ({summary.throttled} of them answered 429)."),
        "refused": summary.unrecorded,
        "throttled": summary.throttled,
        "first": summary.first_at.strftime(MOMENT),
        "last": summary.last_at.strftime(MOMENT),
    }
    return _audit(Actor(None, None, summary.remote_addr), "refusals-summary", None, None, "refused", 401, detail=detail)
