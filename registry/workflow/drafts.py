"""Drafts of a section and their review (docs/workflow.md, "Drafts and approval").

One draft per country and section, shared by the country's accounts and the secretariat; it
holds the document as the officer left it, valid or not, and `null` to withdraw the section.
A draft is never in a feed, an export or the chain. Publishing it — directly, or by approving
it where the country requires approval — goes through publishing.publish or withdraw, which
validate, number and chain it like any publication; the draft then disappears.
"""
import json

from sqlalchemy import select

from .. import changes, history, publishing
from ..db import db, utcnow
from ..documents import SECTIONS
from ..models import Account, AuditRecord, CountryPolicy, Draft, Version
from ..publishing import Actor, Approval, Conflict, NotAllowed, NotFound, Precondition

COMMENT_MAX = 5000


def find(country: str, section: str) -> Draft | None:
    return db.session.scalar(select(Draft).where(Draft.country == country, Draft.section == section))


def for_country(country: str) -> list[Draft]:
    return list(db.session.scalars(select(Draft).where(Draft.country == country).order_by(Draft.section)))


def awaiting_approval() -> list[Draft]:
    """Every submitted draft, oldest first (the secretariat's view)."""
    return list(db.session.scalars(select(Draft).where(Draft.state == "submitted").order_by(Draft.submitted_at)))


def document(draft: Draft):
    """The draft's document (None: a withdrawal)."""
    return json.loads(draft.document)


def _allowed(account: Account, country: str, section: str) -> None:
    if section not in SECTIONS:
        raise NotFound(f"{section!r} is not a section; sections are {', '.join(SECTIONS)}.")
    if not account.may_write(country):
        raise NotAllowed(f"This account may prepare only {account.country}'s notification, not {country}'s.")


def _audit(account: Account, action: str, draft: Draft, **detail) -> None:
    db.session.add(AuditRecord(at=utcnow(), account_id=account.id, action=action, country=draft.country, section=draft.section,
                               outcome="ok", status=200, detail=json.dumps(detail) if detail else None))


def save(account: Account, country: str, section: str, document_) -> Draft:
    """Keep the officer's work as the section's draft (created on first save); a submitted draft is locked."""
    _allowed(account, country, section)
    now = utcnow()
    draft = find(country, section)
    if draft is None:
        current = history.current(country, section)
        draft = Draft(country=country, section=section, base_seq=current.seq if current else None, state="open",
                      created_by=account.id, created_at=now)
        db.session.add(draft)
    elif draft.state == "submitted":
        raise Conflict("This draft awaits approval; it can be changed once it is returned (or its submission withdrawn).")
    draft.document = json.dumps(document_, ensure_ascii=False, sort_keys=True)
    draft.updated_by, draft.updated_at = account.id, now
    if draft.state == "returned":
        draft.state = "open"
    _audit(account, "draft-save", draft)
    db.session.commit()
    return draft


def discard(account: Account, country: str, section: str) -> None:
    _allowed(account, country, section)
    draft = _existing(country, section)
    _audit(account, "draft-discard", draft)
    db.session.delete(draft)
    db.session.commit()


def _existing(country: str, section: str) -> Draft:
    draft = find(country, section)
    if draft is None:
        raise NotFound(f"There is no draft of {country}'s {section}.")
    return draft


def differences(draft: Draft) -> list[str]:
    """What publishing the draft would change, in the sentences a version's `changes` would hold."""
    current = history.current(draft.country, draft.section)
    before = history.document(current) if current else None
    after = document(draft)
    if after is None and before is None:
        return []
    try:
        return changes.describe(draft.section, before, after).sentences
    except (KeyError, TypeError, AttributeError):  # a draft not yet valid enough to compare field by field
        return []


def published_since(draft: Draft) -> list[Version]:
    """Versions of the section published after the draft began: the editor warns of them."""
    return [version for version in history.versions(draft.country, draft.section) if version.seq > (draft.base_seq or 0)]


def submit(account: Account, country: str, section: str) -> Draft:
    """Ask another account of the country (or the secretariat) to approve the draft."""
    _allowed(account, country, section)
    draft = _existing(country, section)
    if draft.state == "submitted":
        raise Conflict("This draft is already awaiting approval.")
    draft.state, draft.submitted_by, draft.submitted_at = "submitted", account.id, utcnow()
    draft.comment = None
    _audit(account, "draft-submit", draft)
    db.session.commit()
    return draft


def give_back(account: Account, country: str, section: str) -> Draft:
    """The submitter takes a submitted draft back to change it."""
    _allowed(account, country, section)
    draft = _existing(country, section)
    if draft.state != "submitted":
        raise Conflict("This draft is not awaiting approval.")
    draft.state = "open"
    _audit(account, "draft-unsubmit", draft)
    db.session.commit()
    return draft


def return_(account: Account, country: str, section: str, comment: str) -> Draft:
    """A reviewer sends a submitted draft back with a comment; the officers change it and submit it again."""
    _allowed(account, country, section)
    draft = _existing(country, section)
    if draft.state != "submitted":
        raise Conflict("Only a draft awaiting approval can be returned.")
    if draft.submitted_by == account.id:
        raise NotAllowed("Nobody reviews their own draft: another account must approve or return it.")
    comment = (comment or "").strip()
    if not comment or len(comment) > COMMENT_MAX:
        raise publishing.Invalid(f"Say what should change (1 to {COMMENT_MAX} characters).")
    draft.state, draft.comment, draft.returned_by, draft.returned_at = "returned", comment, account.id, utcnow()
    _audit(account, "draft-return", draft)
    db.session.commit()
    return draft


def publish(actor: Actor, country: str, section: str) -> Version:
    """Publish the draft: directly (`approve` where the country requires approval)."""
    return _publish(actor, country, section, approval=None)


def approve(actor: Actor, country: str, section: str) -> Version:
    """Another account approves a submitted draft, which publishes it; self-approval is refused."""
    draft = _existing(country, section)
    if draft.state != "submitted":
        raise Conflict("Only a draft awaiting approval can be approved.")
    submitter = db.session.get(Account, draft.submitted_by)
    return _publish(actor, country, section, approval=Approval(submitted_by=submitter))


def _publish(actor: Actor, country: str, section: str, *, approval: Approval | None) -> Version:
    draft = _existing(country, section)
    base = db.session.get(Version, draft.base_seq) if draft.base_seq else None
    # The draft was made against `base`: if someone published since, the publishing service refuses (409/412).
    precondition = Precondition(if_match=frozenset({base.hash})) if base else Precondition(if_none_match_any=True)
    content = document(draft)
    if content is None:
        version = publishing.withdraw(actor, country, section, precondition, approval=approval)
    else:
        version = publishing.publish(actor, country, section, content, precondition, approval=approval)
    draft = find(country, section)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
    return version


def rebase(account: Account, country: str, section: str) -> Draft:
    """Accept that the section changed since the draft began: the draft now applies to the current version."""
    _allowed(account, country, section)
    draft = _existing(country, section)
    current = history.current(country, section)
    draft.base_seq = current.seq if current else None
    _audit(account, "draft-rebase", draft)
    db.session.commit()
    return draft


def set_requires_approval(account: Account, country: str, required: bool) -> None:
    """A country's administrator, or the secretariat, decides whether its publications need a second account."""
    if not account.may_administer(country):
        raise NotAllowed("Only the country's administrator or the secretariat decides whether approval is required.")
    policy = db.session.get(CountryPolicy, country) or CountryPolicy(country=country)
    policy.requires_approval, policy.changed_by, policy.changed_at = required, account.id, utcnow()
    db.session.add(policy)
    db.session.add(AuditRecord(at=utcnow(), account_id=account.id, action="approval-policy", country=country, section="",
                               outcome="ok", status=200, detail=json.dumps({"requires_approval": required})))
    db.session.commit()
