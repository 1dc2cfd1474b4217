"""Database tables. Every column says whether it may leave the registry (info["public"]).

Versions are immutable: the publishing service inserts them and nothing updates or
deletes them. Documents and change lists are stored as the exact JSON text that the
hash chain and the exports use, so every database returns the same bytes.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db

PUBLIC = {"public": True}
PRIVATE = {"public": False}


class Version(db.Model):
    """One immutable publication of one section of one country's notification."""

    __tablename__ = "versions"
    __table_args__ = (
        UniqueConstraint("country", "section", "version"),
        Index("ix_versions_published_at", "published_at"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, info=PUBLIC)
    country: Mapped[str] = mapped_column(String(2), info=PUBLIC)
    section: Mapped[str] = mapped_column(String(16), info=PUBLIC)
    version: Mapped[int] = mapped_column(info=PUBLIC)
    published_at: Mapped[datetime] = mapped_column(info=PUBLIC)  # naive, UTC, whole seconds
    published_by: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    # When a second account approved the draft it comes from (registry/workflow/drafts.py): its authority's
    # name is public, like published_by (and outside the hash chain, like it); the account is private.
    approved_by: Mapped[str | None] = mapped_column(String(200), info=PUBLIC)
    approved_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    withdrawn: Mapped[bool] = mapped_column(default=False, info=PUBLIC)
    document: Mapped[str | None] = mapped_column(Text, info=PUBLIC)  # canonical JSON text
    changes: Mapped[str] = mapped_column(Text, info=PUBLIC)  # JSON list of sentences
    prev_hash: Mapped[str] = mapped_column(String(64), info=PUBLIC)
    hash: Mapped[str] = mapped_column(String(64), unique=True, info=PUBLIC)

    substances: Mapped[list["VersionSubstance"]] = relationship(
        back_populates="version_row", cascade="all", order_by="VersionSubstance.substance"
    )
    confirmations: Mapped[list["Confirmation"]] = relationship(
        back_populates="version_row", order_by="Confirmation.confirmed_at"
    )


class VersionSubstance(db.Model):
    """A substance whose rules a version changed (for the per-substance feed)."""

    __tablename__ = "version_substances"

    seq: Mapped[int] = mapped_column(ForeignKey("versions.seq"), primary_key=True, info=PUBLIC)
    substance: Mapped[str] = mapped_column(String(100), primary_key=True, index=True, info=PUBLIC)

    version_row: Mapped[Version] = relationship(back_populates="substances")


class CurrentSection(db.Model):
    """Which version of a section is current: kept by the publishing service in the transaction that
    publishes it (and by restore), so that current state is read without scanning every version."""

    __tablename__ = "current_sections"

    country: Mapped[str] = mapped_column(String(2), primary_key=True, info=PUBLIC)
    section: Mapped[str] = mapped_column(String(16), primary_key=True, info=PUBLIC)
    seq: Mapped[int] = mapped_column(ForeignKey("versions.seq"), info=PUBLIC)


class Confirmation(db.Model):
    """An authority's statement that a current version is still correct."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    seq: Mapped[int] = mapped_column(ForeignKey("versions.seq"), index=True, info=PUBLIC)
    confirmed_at: Mapped[datetime] = mapped_column(info=PUBLIC)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)

    version_row: Mapped[Version] = relationship(back_populates="confirmations")


class Account(db.Model):
    """A person who signs in for an authority (one country) or for the secretariat."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    email: Mapped[str] = mapped_column(String(320), unique=True, info=PRIVATE)
    password_hash: Mapped[str | None] = mapped_column(String(200), info=PRIVATE)
    country: Mapped[str | None] = mapped_column(String(2), info=PRIVATE)
    secretariat: Mapped[bool] = mapped_column(default=False, info=PRIVATE)
    authority_name: Mapped[str] = mapped_column(String(200), info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    # A disabled account can neither sign in nor use its tokens (`registry account disable`).
    disabled: Mapped[bool] = mapped_column(default=False, server_default="0", info=PRIVATE)
    # A country's administrator invites and disables its officers (the secretariat may for every country).
    admin: Mapped[bool] = mapped_column(default=False, server_default="0", info=PRIVATE)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="account")

    def may_write(self, country: str) -> bool:
        return self.secretariat or self.country == country

    def may_administer(self, country: str) -> bool:
        return self.secretariat or (self.admin and self.country == country)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is kept, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True, info=PRIVATE)
    name: Mapped[str] = mapped_column(String(100), info=PRIVATE)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    revoked_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    expires_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)  # None: until revoked
    last_used_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)  # to the minute (accounts.authenticate_token)

    account: Mapped[Account] = relationship(back_populates="tokens")


class ConsoleSession(db.Model):
    """A signed-in console session. The cookie holds the session's random id; only its SHA-256 is kept here.

    Deleting the row ends the session, whatever copies of the cookie exist (registry/accounts.py).
    """

    __tablename__ = "console_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True, info=PRIVATE)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True, info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    last_seen_at: Mapped[datetime] = mapped_column(info=PRIVATE)  # to the minute

    account: Mapped[Account] = relationship()


class AuditRecord(db.Model):
    """Who did or tried what, when: every write and every refused write."""

    __tablename__ = "audit_records"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    at: Mapped[datetime] = mapped_column(info=PRIVATE)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"), info=PRIVATE)
    action: Mapped[str] = mapped_column(String(32), info=PRIVATE)
    country: Mapped[str | None] = mapped_column(String(8), info=PRIVATE)
    section: Mapped[str | None] = mapped_column(String(32), info=PRIVATE)
    outcome: Mapped[str] = mapped_column(String(16), info=PRIVATE)  # "ok" or "refused"
    status: Mapped[int] = mapped_column(info=PRIVATE)  # the HTTP status the surface answered
    seq: Mapped[int | None] = mapped_column(info=PRIVATE)
    detail: Mapped[str | None] = mapped_column(Text, info=PRIVATE)  # JSON
    remote_addr: Mapped[str | None] = mapped_column(String(64), info=PRIVATE)


class Setting(db.Model):
    """Registry-wide facts such as whether demonstration data was loaded."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True, info=PUBLIC)
    value: Mapped[str] = mapped_column(Text, info=PUBLIC)


class FeedArchive(db.Model):
    """A full archive document of an Atom feed, rendered once (see registry/feeds/archive.py)."""

    __tablename__ = "feed_archives"

    feed: Mapped[str] = mapped_column(String(120), primary_key=True, info=PUBLIC)  # e.g. "countries/FR"
    page: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, info=PUBLIC)
    variant: Mapped[str] = mapped_column(String(64), primary_key=True, info=PUBLIC)  # digest of the rendering's settings
    last_seq: Mapped[int] = mapped_column(info=PUBLIC)
    last_hash: Mapped[str] = mapped_column(String(64), info=PUBLIC)
    document: Mapped[str] = mapped_column(Text, info=PUBLIC)  # the Atom XML, as served


class SignInAttempt(db.Model):
    """A console sign-in attempt (see registry/console/sign_in.py).

    Recorded as a failure before the password is checked, and turned into a success
    when it was right: failures are kept for the throttling windows, successes for a
    while, to recognise the addresses an officer signs in from.
    """

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    at: Mapped[datetime] = mapped_column(index=True, info=PRIVATE)
    email_hash: Mapped[str] = mapped_column(String(64), index=True, info=PRIVATE)  # SHA-256 of the normalized e-mail
    remote_addr: Mapped[str] = mapped_column(String(64), index=True, info=PRIVATE)
    succeeded: Mapped[bool] = mapped_column(default=False, server_default="0", info=PRIVATE)



class Subscription(db.Model):
    """Someone told of publications: a WebSub callback or an e-mail address (registry/delivery/).

    Entirely private: an address or callback never leaves the registry. `cursor` is the seq of the
    newest version the subscriber has been given (or skipped as outside its topic); a delivery
    worker sends what lies after it and moves it only once the receiver accepted the message.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    kind: Mapped[str] = mapped_column(String(8), info=PRIVATE)  # "websub" or "email"
    state: Mapped[str] = mapped_column(String(12), index=True, info=PRIVATE)  # pending, active, suspended, ended
    # WebSub: the feed's path with its ?lang=, e.g. "/feeds/countries/FR.atom?lang=fr"; e-mail: "".
    topic: Mapped[str] = mapped_column(String(300), info=PRIVATE)
    callback: Mapped[str | None] = mapped_column(String(2000), info=PRIVATE)
    secret: Mapped[str | None] = mapped_column(String(200), info=PRIVATE)  # hub.secret, for X-Hub-Signature
    lease_seconds: Mapped[int | None] = mapped_column(info=PRIVATE)
    expires_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)  # WebSub: when the lease ends
    renew_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)  # WebSub: when the hub verifies intent again
    # What the hub must still verify with the subscriber: "subscribe" or "unsubscribe"; None once verified.
    pending_mode: Mapped[str | None] = mapped_column(String(12), info=PRIVATE)
    # A renewed subscription request's secret and lease, until the subscriber confirms it.
    pending_secret: Mapped[str | None] = mapped_column(String(200), info=PRIVATE)
    pending_lease_seconds: Mapped[int | None] = mapped_column(info=PRIVATE)
    address: Mapped[str | None] = mapped_column(String(320), index=True, info=PRIVATE)  # e-mail
    # E-mail: which publications, as JSON lists of codes (empty: all) and the rhythm.
    countries: Mapped[str] = mapped_column(Text, default="[]", info=PRIVATE)
    sections: Mapped[str] = mapped_column(Text, default="[]", info=PRIVATE)
    substances: Mapped[str] = mapped_column(Text, default="[]", info=PRIVATE)
    cadence: Mapped[str] = mapped_column(String(10), default="immediate", info=PRIVATE)  # immediate, daily, weekly
    language: Mapped[str] = mapped_column(String(5), default="en", info=PRIVATE)
    token: Mapped[str | None] = mapped_column(String(64), unique=True, info=PRIVATE)  # e-mail: confirm, manage, unsubscribe
    cursor: Mapped[int] = mapped_column(default=0, info=PRIVATE)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True, info=PRIVATE)
    failures: Mapped[int] = mapped_column(default=0, info=PRIVATE)  # consecutive
    failing_since: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    last_error: Mapped[str | None] = mapped_column(Text, info=PRIVATE)
    claimed_until: Mapped[datetime | None] = mapped_column(info=PRIVATE)  # a worker's lease on the row
    claimed_by: Mapped[str | None] = mapped_column(String(32), info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    confirmed_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    last_delivered_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    delivered: Mapped[int] = mapped_column(default=0, info=PRIVATE)  # entries accepted by the receiver, in all


class SubscriptionRequest(db.Model):
    """A subscription request, kept for a day to limit requests per callback, address and client."""

    __tablename__ = "subscription_requests"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    at: Mapped[datetime] = mapped_column(index=True, info=PRIVATE)
    target_hash: Mapped[str] = mapped_column(String(64), index=True, info=PRIVATE)  # SHA-256 of the callback or e-mail
    remote_addr: Mapped[str] = mapped_column(String(64), index=True, info=PRIVATE)


class Invitation(db.Model):
    """A one-time link that lets an invited officer set a password; only its SHA-256 is kept."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True, info=PRIVATE)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    expires_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    used_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)


class Draft(db.Model):
    """A section being prepared by a country's officers: private, never in feeds, exports or the chain.

    One per country and section. `base_seq` is the current version when the draft began, so the
    editor can warn when someone published since. With approval required, a draft is submitted,
    then approved (which publishes it) or returned with a comment by another account.
    """

    __tablename__ = "drafts"
    __table_args__ = (UniqueConstraint("country", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True, info=PRIVATE)
    country: Mapped[str] = mapped_column(String(2), info=PRIVATE)
    section: Mapped[str] = mapped_column(String(16), info=PRIVATE)
    document: Mapped[str] = mapped_column(Text, info=PRIVATE)  # JSON text, as the officer left it (maybe not yet valid)
    base_seq: Mapped[int | None] = mapped_column(info=PRIVATE)
    state: Mapped[str] = mapped_column(String(12), default="open", info=PRIVATE)  # open, submitted, returned
    created_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    updated_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    updated_at: Mapped[datetime] = mapped_column(info=PRIVATE)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    submitted_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    returned_at: Mapped[datetime | None] = mapped_column(info=PRIVATE)
    comment: Mapped[str | None] = mapped_column(Text, info=PRIVATE)  # the reviewer's, when returned


class CountryPolicy(db.Model):
    """How a country publishes: whether a second account must approve (set by the country or the secretariat)."""

    __tablename__ = "country_policies"

    country: Mapped[str] = mapped_column(String(2), primary_key=True, info=PRIVATE)
    requires_approval: Mapped[bool] = mapped_column(default=False, info=PRIVATE)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    changed_at: Mapped[datetime] = mapped_column(info=PRIVATE)


class Reminder(db.Model):
    """A reconfirmation reminder sent for a version ("due" 30 days before, "overdue" after): each once."""

    __tablename__ = "reminders"

    seq: Mapped[int] = mapped_column(ForeignKey("versions.seq"), primary_key=True, info=PRIVATE)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True, info=PRIVATE)  # "due" or "overdue"
    sent_at: Mapped[datetime] = mapped_column(info=PRIVATE)


class Question(db.Model):
    """A question from one authority (or the secretariat) on a version of another country's section.

    Private to both countries and the secretariat until the answering country makes it public;
    then the version's page shows it and the exports hold it.
    """

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True, info=PUBLIC)
    country: Mapped[str] = mapped_column(String(2), index=True, info=PUBLIC)  # asked of
    section: Mapped[str] = mapped_column(String(16), info=PUBLIC)
    version: Mapped[int] = mapped_column(info=PUBLIC)
    asked_by_country: Mapped[str | None] = mapped_column(String(2), index=True, info=PUBLIC)  # None: the secretariat
    asked_by: Mapped[int] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    subject: Mapped[str] = mapped_column(String(200), info=PUBLIC)
    created_at: Mapped[datetime] = mapped_column(info=PUBLIC)
    public_at: Mapped[datetime | None] = mapped_column(info=PUBLIC)  # None: not public

    messages: Mapped[list["QuestionMessage"]] = relationship(back_populates="question", order_by="QuestionMessage.id", cascade="all")


class QuestionMessage(db.Model):
    """One message of a question's thread; public only with its question."""

    __tablename__ = "question_messages"

    id: Mapped[int] = mapped_column(primary_key=True, info=PUBLIC)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True, info=PUBLIC)
    author_country: Mapped[str | None] = mapped_column(String(2), info=PUBLIC)  # None: the secretariat
    authority: Mapped[str] = mapped_column(String(200), info=PUBLIC)  # the author's authority name
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), info=PRIVATE)
    body: Mapped[str] = mapped_column(Text, info=PUBLIC)
    created_at: Mapped[datetime] = mapped_column(info=PUBLIC)

    question: Mapped[Question] = relationship(back_populates="messages")

# The feeds of one country, section or substance find its newest publications, and count
# them, without reading every version.
Index("ix_versions_country_seq", Version.country, Version.seq)
Index("ix_versions_section_seq", Version.section, Version.seq)
# A section's version as it stood at a seq (registry.json ?as_of=) is one lookup, however long its history.
Index("ix_versions_country_section_seq", Version.country, Version.section, Version.seq)
Index("ix_version_substances_substance_seq", VersionSubstance.substance, VersionSubstance.seq)
# A WebSub topic has one subscription per callback (a new request replaces it).
Index("ix_subscriptions_topic_callback", Subscription.topic, Subscription.callback)
