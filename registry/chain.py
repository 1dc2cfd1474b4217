"""The hash chain over all publications (docs/api.md, "Hash chain")."""
import hashlib
import json

GENESIS_HASH = "0" * 64
HASHED_FIELDS = ("country", "section", "version", "seq", "published_at", "withdrawn", "document", "prev_hash")


def canonical_json(value) -> str:
    """Keys sorted, no whitespace, non-ASCII kept as is: the form that is hashed and stored."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def version_hash(fields: dict) -> str:
    """Lower-case hex SHA-256 of the canonical JSON of a version's hashed fields."""
    subject = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(subject).encode("utf-8")).hexdigest()


def first_break(versions) -> tuple[int, str] | None:
    """Walk versions (dicts with meta fields and document) in seq order; the first bad one.

    Returns (seq, reason), or None when every link and every hash is right.
    """
    expected_prev = GENESIS_HASH
    for fields in versions:
        seq = fields["seq"]
        if fields["prev_hash"] != expected_prev:
            return seq, f"prev_hash is {fields['prev_hash']}, the previous version's hash is {expected_prev}"
        actual = version_hash(fields)
        if fields["hash"] != actual:
            return seq, f"hash is {fields['hash']}, its content hashes to {actual}"
        expected_prev = fields["hash"]
    return None
