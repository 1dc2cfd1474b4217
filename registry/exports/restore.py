"""Reading a bundle back: its checksums and its hash chain are checked before anything may trust it (`registry restore`)."""
import csv
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator


from .. import chain
from ..documents import SECTIONS
from .bundle import REFERENCE_FILES, SUMMED_FILES, sha256_file
from .files import FORMAT_VERSION, ExportError
from .signing import SIGNATURE_FILE, SignatureError, public_key_pem, verify

# -- reading a bundle back ----------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """An export bundle on disk whose checksums and hash chain verify."""

    directory: Path
    metadata: dict

    @property
    def demo_note(self) -> str | None:
        return self.metadata["demo_note"]

    def versions(self) -> Iterator[dict]:
        """The versions of changes.jsonl, one at a time."""
        with (self.directory / "changes.jsonl").open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                try:
                    yield json.loads(line)
                except ValueError:
                    raise ExportError(f"changes.jsonl line {number} is not JSON.") from None

    def confirmations(self) -> Iterator[tuple[int, datetime]]:
        """The confirmations of confirmations.csv as (seq, confirmed_at)."""
        with (self.directory / "confirmations.csv").open(encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                yield int(row["seq"]), datetime.strptime(row["confirmed_at"], "%Y-%m-%dT%H:%M:%SZ")


def read_bundle(directory: Path, *, public_key: bytes | None = None, unsigned: bool = False) -> Bundle:
    """The bundle in directory, once its checksums, its hash chain, its metadata and its signature agree; else ExportError.

    The signature is checked with `public_key` (PEM), by default this registry's own key;
    a bundle without one is refused unless `unsigned` says to trust its checksums alone.
    """
    _check_sums(directory)
    try:
        meta = json.loads((directory / "metadata.json").read_text(encoding="utf-8"))
    except ValueError:
        raise ExportError("metadata.json is not JSON.") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"metadata.json does not say format_version {FORMAT_VERSION!r}; this registry reads only that format.")
    bundle = Bundle(directory, meta)
    last_seq, head_hash = _check_chain(bundle)
    if (last_seq, head_hash) != (meta.get("last_seq"), meta.get("hash")):
        raise ExportError(f"changes.jsonl ends at seq {last_seq} with hash {head_hash}, "
                          f"but metadata.json says seq {meta.get('last_seq')} with hash {meta.get('hash')}.")
    try:
        for seq, _ in bundle.confirmations():
            if not 1 <= seq <= last_seq:
                raise ExportError(f"confirmations.csv confirms seq {seq}, which changes.jsonl does not hold.")
    except (KeyError, ValueError, TypeError) as error:  # a missing column, a bad number or date, a short row
        raise ExportError(f"confirmations.csv is not readable: {error}.") from None
    _check_signature(directory, public_key, unsigned)
    return bundle


def _check_signature(directory: Path, public_key: bytes | None, unsigned: bool) -> None:
    signature = directory / SIGNATURE_FILE
    if not signature.is_file():
        if unsigned:
            return
        raise ExportError(f"The bundle has no {SIGNATURE_FILE}, so nothing proves that its files come from a registry "
                          "(restore it with --unsigned to trust its checksums alone).")
    try:
        verify((directory / "SHA256SUMS").read_bytes(), signature.read_bytes(), public_key or public_key_pem())
    except SignatureError as refusal:
        raise ExportError(str(refusal)) from None


def _check_sums(directory: Path) -> None:
    sums = directory / "SHA256SUMS"
    if not sums.is_file():
        raise ExportError(f"{directory} holds no SHA256SUMS: it is not an export bundle.")
    listed = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        digest, _, name = line.partition("  ")
        if not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            raise ExportError(f"SHA256SUMS line {number} is not '<sha256>  <file name>'.")
        listed[name] = digest
    missing = [name for name in SUMMED_FILES if name not in listed and name not in REFERENCE_FILES]
    if missing:
        raise ExportError(f"SHA256SUMS does not list {', '.join(missing)}.")
    for name, digest in listed.items():
        path = directory / name
        if name not in SUMMED_FILES or not path.is_file():
            raise ExportError(f"SHA256SUMS lists {name}, which is not a file of the bundle.")
        if sha256_file(path) != digest:
            raise ExportError(f"{name} does not match its SHA-256 in SHA256SUMS: the bundle was altered or damaged.")


def _check_chain(bundle: Bundle) -> tuple[int, str]:
    """Recompute the hash chain of changes.jsonl; returns its last seq and hash."""
    last = (0, chain.GENESIS_HASH)
    numbers: dict[tuple[str, str], int] = {}

    def links():
        nonlocal last
        for number, item in enumerate(bundle.versions(), 1):
            try:
                meta = item["meta"]
                fields = {**{name: meta[name] for name in (*chain.HASHED_FIELDS, "hash") if name != "document"},
                          "document": item["document"]}
            except (KeyError, TypeError):
                raise ExportError(f"changes.jsonl line {number} is not a version (meta and document).") from None
            key = (fields["country"], fields["section"])
            if fields["seq"] != number or fields["version"] != numbers.get(key, 0) + 1 or fields["section"] not in SECTIONS:
                raise ExportError(f"changes.jsonl line {number} is out of order (seq {fields['seq']}, "
                                  f"{key[0]} {key[1]} version {fields['version']}).")
            numbers[key] = fields["version"]
            last = (fields["seq"], fields["hash"])
            yield fields

    try:
        broken = chain.first_break(links())
    except ValueError as error:  # a number JSON allows but the canonical form does not, such as NaN
        raise ExportError(f"changes.jsonl holds a value that cannot be hashed: {error}.") from None
    if broken:
        seq, reason = broken
        raise ExportError(f"the hash chain of changes.jsonl breaks at seq {seq}: {reason}.")
    return last
