"""The publishing service: the one way anything is written to a country's notification.

Each publication checks who asks, validates the document, checks the caller's
precondition against the current version, numbers the new version, links it into
the hash chain and records an audit entry, all in one serialized transaction.
A refused attempt is audited too, in a transaction of its own, and stores nothing
else. Versions are only ever inserted.
"""
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from . import chain, changes, history, reference
from .db import utcnow, write_transaction
from .documents import SECTIONS, normalized, validate_document
from .models import Account, AuditRecord, Confirmation, Setting, Version, VersionSubstance


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


class PreconditionRequired(PublishingError):
    status = 428


MOMENT = "%Y-%m-%dT%H:%M:%SZ"  # published_at as the chain hashes it (docs/api.md, "Hash chain")
NO_TOKEN = "A valid API token is needed to write: send Authorization: Bearer <token>."


@dataclass(frozen=True)
class Actor:
    """Who is writing: an account (None when nobody signed in), by which token, from where."""

    account: Account | None
    token_id: int | None = None
    remote_addr: str | None = None


@dataclass(frozen=True)
class Precondition:
    """What the writer believes is current: If-Match tags ("*" for any) or If-None-Match: *."""

    if_match: frozenset[str] = field(default_factory=frozenset)
    if_none_match_any: bool = False

    @property
    def given(self) -> bool:
        return bool(self.if_match) or self.if_none_match_any


def publish(actor: Actor, country: str, section: str, document, precondition: Precondition,
            *, published_at: datetime | None = None) -> Version:
    """Publish a new version of a section; the first needs If-None-Match: *, later ones If-Match."""
    return _audited(actor, "publish", country, section, lambda: _publish(actor, country, section, document, precondition, published_at))


def withdraw(actor: Actor, country: str, section: str, precondition: Precondition,
             *, published_at: datetime | None = None) -> Version:
    """Withdraw a section: a new version whose document is null."""
    return _audited(actor, "withdraw", country, section, lambda: _publish(actor, country, section, None, precondition, published_at))


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
        raise NotFound(f"{country!r} is not an ISO 3166-1 alpha-2 country code.")
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
             published_at: datetime | None) -> Version:
    account = _authorize(actor, country, section)
    withdrawing = document is None
    if not withdrawing:
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
        row = _version_row(fields, published_by=account.authority_name, account_id=account.id,
                           sentences=difference.sentences, substances=difference.substances)
        session.add(row)
        session.add(_audit(actor, "withdraw" if withdrawing else "publish", country, section, "ok",
                           201 if row.version == 1 else 200, seq=row.seq, detail={"version": row.version}))
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
        previous_hash, documents, count = chain.GENESIS_HASH, {}, 0
        for item in versions:
            meta, document = item["meta"], item["document"]
            fields = {**{name: meta[name] for name in chain.HASHED_FIELDS if name != "document"}, "document": document}
            if meta["seq"] != count + 1 or meta["prev_hash"] != previous_hash or chain.version_hash(fields) != meta["hash"]:
                raise Invalid(f"The history does not verify at seq {meta['seq']}: the bundle was altered or is incomplete.")
            key = (meta["country"], meta["section"])
            touched = changes.describe(meta["section"], documents.get(key), document).substances
            session.add(_version_row(fields, published_by=meta["published_by"], account_id=None,
                                     sentences=meta["changes"], substances=touched))
            documents[key] = document
            previous_hash, count = meta["hash"], count + 1
            if count % 1000 == 0:
                session.flush()
        session.flush()
        for seq, confirmed_at in confirmations:
            session.add(Confirmation(seq=seq, confirmed_at=confirmed_at, account_id=None))
        if demo_note:
            session.add(Setting(key="demo", value=demo_note))
        session.add(_audit(Actor(None), "restore", None, None, "ok", 200, seq=count or None, detail={"versions": count}))
    return count


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
    detail = {"message": refusal.message}
    if refusal.errors:
        # Field paths and the reasons only; ensure_ascii keeps odd input storable anywhere.
        detail["errors"] = refusal.errors
    with write_transaction() as session:
        session.add(_audit(actor, action, country, section, "refused", refusal.status, detail=detail))
