"""Accounts of authorities and of the secretariat, their passwords and API tokens."""
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from . import reference
from .db import utcnow, write_transaction
from .documents import bad_characters
from .db import db
from .models import Account, ApiToken

TOKEN_PREFIX = "reg_"  # a prefix that marks tokens, not a password  # nosec B105
TOKEN_BYTES = 32  # of randomness, before encoding
AUTHORITY_NAME_MAX = 200  # characters: the length of accounts.authority_name and versions.published_by
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
                authority_name: str | None = None) -> Account:
    """Create an authority account (one country) or a secretariat account."""
    email = normalize_email(email)
    if "@" not in email or len(email) > 320:
        raise AccountError(f"{email!r} is not an e-mail address.")
    if secretariat == (country is not None):
        raise AccountError("An account is either for one country (--country CC) or for the secretariat (--secretariat).")
    if country is not None and reference.country(country) is None:
        raise AccountError(f"{country!r} is not an ISO 3166-1 alpha-2 country code.")
    if password is not None and len(password) < 12:
        raise AccountError("A password needs at least 12 characters.")
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


def find_account(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.email == normalize_email(email)))


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


def add_token(account: Account, name: str) -> tuple[ApiToken, str]:
    """A new API token for the account: the stored row and the token, shown only now."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction() as session:
        row = ApiToken(account_id=account.id, name=name[:100] or "token", token_hash=_token_hash(token), created_at=utcnow())
        session.add(row)
    return row, token


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
    """The live token row for a bearer token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row
