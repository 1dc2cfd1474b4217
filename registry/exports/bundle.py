"""The bundle: registry.json, changes.jsonl, the CSV tables, their data package, metadata, a README and SHA256SUMS."""
import hashlib
import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Callable

from flask import current_app

from .. import chain, reference
from ..config import VERSION
from ..db import utcnow
from .files import FORMAT_VERSION, ZIP_EPOCH, State, header, registry_json
from .signing import SIGNATURE_FILE, sign
from .tables import TABLES, write_history

# -- the bundle -------------------------------------------------------------------------

FILE_DESCRIPTIONS = {
    "README.md": "What each file is, what every field means, how to verify and restore.",
    "metadata.json": "Format version, when and from which state the bundle was made, record counts.",
    "datapackage.json": "Frictionless Data Package: every CSV table with its Table Schema and keys.",
    "registry.json": "The current state of every country.",
    "changes.jsonl": "Every version (meta and document), one JSON object a line, in seq order.",
    **{table.filename: table.description for table in TABLES},
    "SHA256SUMS": "SHA-256 of every other file (sha256sum -c SHA256SUMS).",
    SIGNATURE_FILE: "The registry's Ed25519 signature of SHA256SUMS, in base64 (docs/exports.md, \"Signature\").",
}
BUNDLE_FILES = tuple(FILE_DESCRIPTIONS)
SUMMED_FILES = tuple(name for name in BUNDLE_FILES if name not in ("SHA256SUMS", SIGNATURE_FILE))
# The reference tables: a bundle made before one of them was added lacks it, and restore reads none of them.
REFERENCE_FILES = tuple(table.filename for table in TABLES if table.reference)


def metadata(state: State, generated_at: datetime, counts: dict[str, int]) -> dict:
    """metadata.json: what the bundle holds and what made it."""
    return {
        **header(state, generated_at),
        "demo_note": state.demo_note,
        "application": {"name": "travellers-registry", "version": VERSION},
        "reference_data": dict(reference.edition()),
        "counts": counts,
    }


def datapackage() -> dict:
    """datapackage.json: the CSV tables as a Frictionless tabular data package."""
    return {
        "profile": "tabular-data-package",
        "name": "travellers-registry",
        "title": "National rules for travellers under treatment with internationally controlled drugs",
        "description": "The notifications of the registry (UN guidelines of 2003, ¶35–36), flattened into tables, "
                       "and its reference data: substances, guideline amounts, medicinal products and their ingredients. "
                       "registry.json and changes.jsonl hold the same data as JSON; README.md explains every field.",
        "resources": [table.resource() for table in TABLES],
    }


def readme() -> str:
    """README.md of the bundle."""
    # Straight from the Jinja environment: no page context (language, request) belongs in a bundle.
    template = current_app.jinja_env.get_template("exports/README.md")
    return template.render(format_version=FORMAT_VERSION, files=FILE_DESCRIPTIONS, tables=TABLES,
                           genesis=chain.GENESIS_HASH, hashed_fields=chain.HASHED_FIELDS)


def _pretty(value: dict) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_bundle(directory: Path, state: State, *, registry_bytes: bytes | None = None,
                 progress: Callable[[int], None] = lambda count: None) -> dict[str, int]:
    """Write every file of the bundle into directory; returns the rows per table.

    `registry_bytes` is a registry.json already made from this state, to include
    instead of making another (whose generated_at would differ).
    """
    generated_at = utcnow()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "registry.json").write_bytes(registry_bytes or registry_json(state, generated_at))
    counts = write_history(directory, state, progress)
    (directory / "metadata.json").write_bytes(_pretty(metadata(state, generated_at, counts)))
    (directory / "datapackage.json").write_bytes(_pretty(datapackage()))
    (directory / "README.md").write_text(readme(), encoding="utf-8", newline="\n")
    sums = "".join(f"{sha256_file(directory / name)}  {name}\n" for name in SUMMED_FILES).encode("ascii")
    (directory / "SHA256SUMS").write_bytes(sums)
    (directory / SIGNATURE_FILE).write_bytes(sign(sums))
    return counts


def write_zip(directory: Path, target: Path, state: State) -> None:
    """registry.zip: the bundle's files, dated from the data so that the same state zips to the same bytes."""
    moment = max(state.last_modified or ZIP_EPOCH, ZIP_EPOCH)
    with zipfile.ZipFile(target, "w") as archive:
        for name in BUNDLE_FILES:
            source = directory / name
            info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below mean the same everywhere
            info.external_attr = 0o100644 << 16
            info.file_size = source.stat().st_size
            with source.open("rb") as stream, archive.open(info, "w") as entry:
                shutil.copyfileobj(stream, entry, 1 << 20)


