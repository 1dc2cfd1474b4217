"""Accounts of authorities and of the secretariat: their passwords, API tokens and console sessions.

A console session is a row of console_sessions: the browser's cookie holds a random
id, the row only its SHA-256. Ending a session deletes the row, so a copy of the
cookie is worth nothing afterwards; a new password or a disabled account ends every
session of the account.
"""
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, update

from . import reference
from .db import db, utcnow, write_transaction
from .documents import bad_characters
from .models import Account, ApiToken, ConsoleSession, Invitation

TOKEN_PREFIX = "reg_"  # the public prefix of every token, not a secret  # nosec B105
TOKEN_BYTES = 32  # of randomness, before encoding
SESSION_BYTES = 32
AUTHORITY_NAME_MAX = 200  # characters: the length of accounts.authority_name and versions.published_by
PASSWORD_MIN = 12
# A token's or a session's last use is written at most this often: one UPDATE a minute, not one a request.
USE_RECORDED_EVERY = timedelta(minutes=1)
EXPIRY_MAX = timedelta(days=3650)  # tokens live at most about ten years; longer is a typo
INVITATION_LIFETIME = timedelta(days=7)
_hasher = PasswordHasher()  # argon2id: deliberately slow


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def default_authority_name(country: str | None) -> str:
    """How publications are signed when no authority name was given."""
    if country is None:
        return "Registry secretariat"
    return f"Competent authority of {reference.country(country).name('en')}"


def add_account(email: str, *, country: str | None, secretariat: bool, password: str | None,
                authority_name: str | None = None, admin: bool = False) -> Account:
    """Create an authority account (one country) or a secretariat account."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if secretariat == (country is not None):
        raise AccountError("An account is either for one country (--country CC) or for the secretariat (--secretariat).")
    if country is not None and reference.country(country) is None:
        raise AccountError(f"{country!r} is not an ISO 3166-1 alpha-2 country code.")
    if password is not None:
        _check_password_length(password)
    if authority_name:
        _check_authority_name(authority_name)
    with write_transaction() as session:
        if session.scalar(select(Account).where(Account.email == email)):
            raise AccountError(f"An account for {email} exists already.")
        account = Account(
            email=email,
            password_hash=_hasher.hash(password) if password else None,
            country=country,
            secretariat=secretariat,
            authority_name=authority_name or default_authority_name(country),
            created_at=utcnow(),
            admin=admin,
        )
        session.add(account)
    return account


def _check_authority_name(name: str) -> None:
    """Refuse a name that could not sign publications: every feed, export and page shows it as `published_by`."""
    problem = bad_characters(name)
    if problem:
        raise AccountError(f"The authority name {problem}.")
    if len(name) > AUTHORITY_NAME_MAX:
        raise AccountError(f"The authority name has {len(name)} characters; at most {AUTHORITY_NAME_MAX} are allowed.")


def _check_password_length(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"A password needs at least {PASSWORD_MIN} characters.")


def find_account(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalize_email(email)))


def all_accounts() -> list[Account]:
    return list(db.session.scalars(select(Account).order_by(Account.email)))


def set_password(account_id: int, password: str) -> int:
    """Give the account a new password, and end every session it has: how many ended."""
    _check_password_length(password)
    hashed = _hasher.hash(password)  # slow: before the write transaction, not inside it
    with write_transaction() as session:
        if session.execute(update(Account).where(Account.id == account_id).values(password_hash=hashed)).rowcount != 1:
            raise AccountError("There is no such account.")
        return _end_sessions(session, account_id)


def set_disabled(account_id: int, disabled: bool) -> int:
    """Disable an account (ending its sessions; its tokens stop working) or enable it again: how many sessions ended."""
    with write_transaction() as session:
        session.execute(update(Account).where(Account.id == account_id).values(disabled=disabled))
        return _end_sessions(session, account_id) if disabled else 0


def set_admin(account_id: int, admin: bool) -> None:
    """Make a country's officer one of its administrators, or no longer."""
    with write_transaction() as session:
        account = session.get(Account, account_id)
        if account is None or account.country is None:
            raise AccountError("Only an account of a country can be its administrator.")
        account.admin = admin


def invite(by: Account, email: str, *, country: str | None, secretariat: bool = False, admin: bool = False,
           authority_name: str | None = None) -> tuple[Account, str]:
    """A new account without a password, and the one-time token of the link that sets it (shown once, e-mailed).

    A country's administrator invites officers of its country; the secretariat invites anyone.
    """
    if secretariat and not by.secretariat:
        raise AccountError("Only the secretariat invites secretariat accounts.")
    if not secretariat and (country is None or not by.may_administer(country)):
        raise AccountError("Only the country's administrator or the secretariat invites its officers.")
    account = add_account(email, country=None if secretariat else country, secretariat=secretariat, password=None,
                          authority_name=authority_name or (by.authority_name if by.country == country else None), admin=admin)
    return account, new_invitation(by, account)


def new_invitation(by: Account | None, account: Account) -> str:
    """A new one-time link for an account (earlier unused ones stop working)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    with write_transaction() as session:
        session.execute(update(Invitation).where(Invitation.account_id == account.id, Invitation.used_at.is_(None))
                        .values(used_at=now))
        session.add(Invitation(account_id=account.id, token_hash=_token_hash(token), created_at=now,
                               created_by=by.id if by else None, expires_at=now + INVITATION_LIFETIME))
    return token


def invitation(token: str) -> Invitation | None:
    """The live invitation a link's token belongs to: not used, not expired, its account not disabled."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    account = db.session.get(Account, found.account_id)
    return found if account is not None and not account.disabled else None


def accept_invitation(token: str, password: str) -> Account:
    """Set the invited account's password through its link, which then no longer works."""
    _check_password_length(password)
    found = invitation(token)
    if found is None:
        raise AccountError("This invitation link has expired or was already used; ask for a new one.")
    hashed = _hasher.hash(password)
    with write_transaction() as session:
        used = session.execute(update(Invitation).where(Invitation.id == found.id, Invitation.used_at.is_(None))
                               .values(used_at=utcnow())).rowcount
        if used != 1:
            raise AccountError("This invitation link was already used.")
        session.execute(update(Account).where(Account.id == found.account_id).values(password_hash=hashed))
    return db.session.get(Account, found.account_id)


def accounts_of(country: str | None) -> list[Account]:
    """A country's accounts (None: the secretariat's), by e-mail."""
    criterion = Account.country == country if country else Account.secretariat.is_(True)
    return list(db.session.scalars(select(Account).where(criterion).order_by(Account.email)))


def check_password(account: Account | None, password: str) -> bool:
    """Whether the password is the account's; takes as long when there is no such account."""
    stored = account.password_hash if account is not None else None
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("not a password of anyone")


def _token_hash(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough to keep them secret at rest.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(account: Account, name: str, *, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token for the account (valid until expires_at, UTC, when given): the stored row and the token, shown only now."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction() as session:
        row = ApiToken(account_id=account.id, name=name[:100] or "token", token_hash=_token_hash(token), created_at=utcnow(),
                       expires_at=expires_at)
        session.add(row)
    return row, token


_RELATIVE = re.compile(r"([0-9]{1,6})([dh])", re.IGNORECASE)


def parse_expiry(text: str, *, now: datetime | None = None) -> datetime:
    """When a token given `--expires TEXT` expires, as a naive UTC datetime.

    TEXT is a number of days or hours from now (90d, 12h), a date (2027-01-31: at
    00:00 UTC that day) or an ISO 8601 moment (2027-01-31T12:00:00Z; without a zone, UTC).
    """
    now = now or utcnow()
    text = text.strip()
    relative = _RELATIVE.fullmatch(text)
    if relative:
        count, unit = int(relative.group(1)), relative.group(2).lower()
        delta = timedelta(days=count) if unit == "d" else timedelta(hours=count)
        if count == 0:
            raise AccountError("A token must live at least one hour: give e.g. 90d, 12h or a date.")
        moment = now + delta
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise AccountError(f"{text[:40]!r} is not an expiry: give a number of days or hours (90d, 12h), "
                               "a date (2027-01-31) or a moment (2027-01-31T12:00:00Z).") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        moment = moment.replace(microsecond=0)
        if moment <= now:
            raise AccountError(f"{text} is in the past: a token must expire in the future.")
    if moment - now > EXPIRY_MAX:
        raise AccountError(f"An expiry more than {EXPIRY_MAX.days} days away is not allowed; "
                           "a token that should never expire needs no expiry at all.")
    return moment


def tokens(account: Account | None = None) -> list[ApiToken]:
    """The tokens of one account, or of all, by number."""
    query = select(ApiToken).order_by(ApiToken.id)
    if account is not None:
        query = query.where(ApiToken.account_id == account.id)
    return list(db.session.scalars(query))


def token_state(row: ApiToken, *, now: datetime | None = None) -> str:
    """live, revoked, expired, or account disabled."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return "expired"
    if row.account.disabled:
        return "account disabled"
    return "live"


def revoke_token(token_id: int, *, account: Account | None = None) -> ApiToken:
    """Revoke a token (only the account's own when an account is given)."""
    with write_transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None or (account is not None and row.account_id != account.id):
            raise AccountError(f"There is no token {token_id}.")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
    return row


def authenticate_token(token: str) -> ApiToken | None:
    """The live token row for a bearer token, or None (unknown, revoked, expired, or its account disabled).

    Records the token's use, at most once a minute (USE_RECORDED_EVERY).
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    now = utcnow()
    if row is None or token_state(row, now=now) != "live":
        return None
    if row.last_used_at is None or now - row.last_used_at >= USE_RECORDED_EVERY:
        token_id = row.id
        with write_transaction() as session:
            # Conditional, so that requests racing with the same token write it once.
            session.execute(update(ApiToken).where(ApiToken.id == token_id).where(
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RECORDED_EVERY)).values(last_used_at=now))
        row = db.session.get(ApiToken, token_id)
    return row


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(account: Account, *, lifetime: timedelta, idle: timedelta) -> str:
    """A new console session for the account: the random id for its cookie. Ended sessions of anyone are swept away."""
    session_id = secrets.token_urlsafe(SESSION_BYTES)
    now = utcnow()
    with write_transaction() as session:
        session.execute(delete(ConsoleSession).where(
            or_(ConsoleSession.created_at <= now - lifetime, ConsoleSession.last_seen_at <= now - idle)))
        session.add(ConsoleSession(id_hash=_session_hash(session_id), account_id=account.id, created_at=now, last_seen_at=now))
    return session_id


def session_account(session_id, *, lifetime: timedelta, idle: timedelta) -> Account | None:
    """The account of a live console session, or None: unknown or ended, older than lifetime, idle for idle, or disabled.

    Records the session's activity, at most once a minute.
    """
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 100:
        return None
    id_hash = _session_hash(session_id)
    row = db.session.get(ConsoleSession, id_hash)
    now = utcnow()
    if row is None or now - row.created_at >= lifetime or now - row.last_seen_at >= idle or row.account.disabled:
        return None
    account_id = row.account_id
    if now - row.last_seen_at >= USE_RECORDED_EVERY:
        with write_transaction() as session:
            session.execute(update(ConsoleSession).where(ConsoleSession.id_hash == id_hash).values(last_seen_at=now))
    return db.session.get(Account, account_id)


def end_session(session_id) -> None:
    """End one console session (signing out)."""
    if isinstance(session_id, str) and 0 < len(session_id) <= 100:
        with write_transaction() as session:
            session.execute(delete(ConsoleSession).where(ConsoleSession.id_hash == _session_hash(session_id)))


def end_sessions(account_id: int) -> int:
    """End every console session of the account ("sign out everywhere"): how many ended."""
    with write_transaction() as session:
        return _end_sessions(session, account_id)


def _end_sessions(session, account_id: int) -> int:
    return session.execute(delete(ConsoleSession).where(ConsoleSession.account_id == account_id)).rowcount
