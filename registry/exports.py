"""The exports for researchers and mirrors (CONTRACT, "Exports").

registry.json (every country's current sections), changes.jsonl (every version), CSV
tables that flatten the documents, their Frictionless data package, metadata, a README
and SHA256SUMS. Everything is built from the read model (registry/history.py), so an
export shows a version exactly as the API does. The caller holds one read transaction
(db.read_snapshot) around a whole build, so that every file describes the same state.
Rows are ordered and zip entries dated from the data, never from the clock: exporting
one state twice gives the same bytes except `generated_at`.

`read_bundle` reads a bundle back, checking its checksums and its hash chain before
anything may trust it (`registry restore`).
"""
import csv
import hashlib
import json
import re
import shutil
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Iterator

from flask import current_app

from . import __version__, chain, history, reference
from .db import rfc3339, utcnow
from .documents import SECTIONS
from .models import Version

FORMAT_VERSION = "1"
BATCH = 500  # versions read from the database at a time
ZIP_EPOCH = datetime(1980, 1, 1)  # the earliest moment a zip entry can carry
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


class ExportError(Exception):
    """An export that cannot be made or a bundle that cannot be trusted; the message says why."""


def parse_as_of(text: str) -> date:
    """The day named by an `as_of` parameter (YYYY-MM-DD, not after today in UTC)."""
    if not DAY.match(text):
        raise ExportError(f"as_of must be a date written YYYY-MM-DD, such as 2026-03-01, not {text[:40]!r}.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"as_of {text} is not a real date.") from None
    today = utcnow().date()
    if day > today:
        raise ExportError(f"as_of {text} is in the future; the latest day that has a state is today, {today} (UTC).")
    return day


@dataclass(frozen=True)
class State:
    """The registry as an export describes it: as it stood after `last_seq`, at the end of `as_of` if given."""

    as_of: date | None
    last_seq: int
    hash: str
    published_at: datetime | None
    confirmed: tuple[int, datetime | None]  # how many confirmations, and the latest
    demo_note: str | None

    @property
    def until(self) -> datetime | None:
        return None if self.as_of is None else end_of(self.as_of)

    @property
    def demo(self) -> bool:
        return self.demo_note is not None

    @property
    def last_modified(self) -> datetime | None:
        """When the exported content last changed: a publication or a confirmation."""
        moments = [moment for moment in (self.published_at, self.confirmed[1]) if moment is not None]
        return max(moments, default=None)

    def versions_only(self) -> "State":
        """This state without its confirmations: what changes.jsonl shows of it."""
        return replace(self, confirmed=(0, None))

    def tag(self, *parameters) -> str:
        """An entity tag for one export of this state: the head hash commits to every version before it."""
        latest = rfc3339(self.confirmed[1]) if self.confirmed[1] else None
        key = [FORMAT_VERSION, __version__, self.last_seq, self.hash, self.confirmed[0], latest, self.demo,
               self.as_of.isoformat() if self.as_of else None, *parameters]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def end_of(day: date) -> datetime:
    """The last stored moment of a UTC day (the registry keeps whole seconds)."""
    return datetime.combine(day, time(23, 59, 59))


def read_state(as_of: date | None = None) -> State:
    """The state an export made now describes (read inside the export's transaction)."""
    until = None if as_of is None else end_of(as_of)
    top = history.head(until=until)
    confirmed = history.confirmations(until=until)
    return State(
        as_of=as_of,
        last_seq=top.seq if top else 0,
        hash=top.hash if top else chain.GENESIS_HASH,
        published_at=top.published_at if top else None,
        confirmed=(len(confirmed), max((moment for _, moment in confirmed), default=None)),
        demo_note=history.demo_note(),
    )


def header(state: State, generated_at: datetime) -> dict:
    """The fields every export starts with (CONTRACT, "Exports")."""
    return {
        "format_version": FORMAT_VERSION,
        "generated_at": rfc3339(generated_at),
        "as_of": state.as_of.isoformat() if state.as_of else None,
        "last_seq": state.last_seq,
        "hash": state.hash,
        "demo": state.demo,
    }


# -- registry.json and changes.jsonl ------------------------------------------------------


def registry_document(state: State, generated_at: datetime) -> dict:
    """registry.json: every ISO country with, per section, its current version and last confirmation, or null."""
    heads = history.current_versions(until_seq=state.last_seq)
    confirmed = history.last_confirmed(list(heads.values()), until=state.until)
    countries = {}
    for code, country in reference.countries().items():
        entry = {"names": dict(country.names)}
        for section in SECTIONS:
            row = heads.get((code, section))
            entry[section] = None if row is None else {**history.resource(row), "last_confirmed": rfc3339(confirmed[row.seq])}
        countries[code] = entry
    return {**header(state, generated_at), "countries": countries}


def registry_json(state: State, generated_at: datetime | None = None) -> bytes:
    """The bytes of registry.json."""
    document = registry_document(state, generated_at or utcnow())
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def change_line(row: Version) -> str:
    """One line of changes.jsonl: history.resource(row), the version as the API gives it, in canonical JSON.

    A document is stored as its canonical JSON text (registry/models.py) and "document"
    sorts before "meta", so the stored text is put in as it is rather than parsed and
    written again: the same bytes, in less time (docs/performance.md).
    """
    document = "null" if row.document is None else row.document
    return '{"document":' + document + ',"meta":' + chain.canonical_json(history.meta(row)) + "}\n"


def versions(*, after: int = 0, until_seq: int) -> Iterator[list[Version]]:
    """The versions after `after` up to `until_seq`, in seq order, a batch at a time so that memory stays flat."""
    while after < until_seq:
        rows = [row for row in history.changes_after(after, BATCH) if row.seq <= until_seq]
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def changes(*, after: int = 0, until_seq: int) -> Iterator[bytes]:
    """changes.jsonl from `after` on, as chunks of a batch of lines each."""
    for rows in versions(after=after, until_seq=until_seq):
        yield "".join(change_line(row) for row in rows).encode("utf-8")


# -- the CSV tables ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a CSV table, described as a Frictionless Table Schema field."""

    name: str
    type: str  # a Table Schema type; "list" cells join their items with ","
    description: str
    required: bool = False
    enum: tuple[str, ...] = ()

    def descriptor(self) -> dict:
        field = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "list":
            field.update(delimiter=",", itemType="string")
        if self.type == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%SZ"
        constraints = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if constraints:
            field["constraints"] = constraints
        return field


@dataclass(frozen=True)
class Table:
    """A CSV file of the bundle: its columns, primary key and foreign keys (column, table, column)."""

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[str, str, str], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def resource(self) -> dict:
        """The table's entry in datapackage.json."""
        schema = {"fields": [column.descriptor() for column in self.columns], "missingValues": [""]}
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": [column], "reference": {"resource": table, "fields": [target]}}
                for column, table, target in self.foreign_keys
            ]
        return {
            "name": self.name,
            "path": self.filename,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": self.description,
            "schema": schema,
        }


def _seq(description: str = "seq of the version (versions.csv) this row belongs to.") -> Column:
    return Column("seq", "integer", description, required=True)


def _position(name: str, what: str, path: str) -> Column:
    return Column(name, "integer", f"Position of the {what} in the document, from 0, as in the field path {path}.0.", required=True)


def _flag(name: str, description: str, required: bool = False) -> Column:
    return Column(name, "boolean", description, required=required)


_VERSION_KEY = (("seq", "versions", "seq"),)
_SECTION_COLUMNS = tuple(
    column
    for section in SECTIONS
    for column in (
        Column(f"{section.replace('-', '_')}_seq", "integer", f"seq of the current {section} version; empty where nothing was notified."),
        Column(f"{section.replace('-', '_')}_last_confirmed", "datetime",
               f"When the current {section} version was last confirmed (or published, if later)."),
    )
)

TABLES = (
    Table(
        "countries", "Every ISO 3166-1 country, with its current version of each section.",
        (
            Column("country", "string", "ISO 3166-1 alpha-2 code.", required=True),
            Column("name_en", "string", "Name in English.", required=True),
            Column("name_zh", "string", "Name in Chinese."),
            *_SECTION_COLUMNS,
        ),
        primary_key=("country",),
        foreign_keys=tuple((column.name, "versions", "seq") for column in _SECTION_COLUMNS if column.type == "integer"),
    ),
    Table(
        "versions", "Every published version of every section, in seq order (the lines of changes.jsonl).",
        (
            Column("seq", "integer", "The registry-wide publication counter.", required=True),
            Column("country", "string", "The notifying country.", required=True),
            Column("section", "string", "Which section this version publishes.", required=True, enum=SECTIONS),
            Column("version", "integer", "Version number within the country's section, from 1.", required=True),
            Column("published_at", "datetime", "When it was published (UTC).", required=True),
            Column("published_by", "string", "The authority that published it.", required=True),
            _flag("withdrawn", "true: this version withdraws the section (no document).", required=True),
            Column("effective_from", "date", "When the rules take effect; empty for a withdrawal."),
            Column("changes", "string", "The differences from the previous version, one sentence a line."),
            Column("prev_hash", "string", "hash of the version with the previous seq (64 zeros for seq 1).", required=True),
            Column("hash", "string", "SHA-256 of the canonical JSON of this version's hashed fields (README.md, Verifying).", required=True),
        ),
        primary_key=("seq",),
        foreign_keys=(("country", "countries", "country"),),
    ),
    Table(
        "requirements", "The single-valued fields of each requirements document.",
        (
            _seq(),
            Column("travellers_allowed", "string", "Whether travellers may carry such medicines at all (¶15).", required=True,
                   enum=("yes", "restricted", "no")),
            Column("max_supply_days", "integer", "The longest supply allowed, in days of treatment."),
            _flag("retail_package_exemption", "Whether one retail package is allowed without documents (¶30)."),
            Column("document_languages", "list", "Languages the documents may be written in (ISO 639-1)."),
            _flag("translation_required", "Whether documents in other languages need a translation."),
            _flag("declare_on_entry", "Whether travellers must present the documents to customs on entry.", required=True),
            _flag("endorsement", "Whether customs endorse the documents.", required=True),
            _flag("show_on_request", "Whether travellers only show the documents on request.", required=True),
            Column("transit", "string", "What transit travellers need.", enum=("same-as-entry", "not-required", "own-rules")),
            _flag("extension_possible", "Whether treatment can be continued in the country beyond the supply (¶23)."),
        ),
        primary_key=("seq",),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "rules", "The rules of each requirements document: which documents which substances need, above which threshold.",
        (
            _seq(),
            _position("rule", "rule", "rules"),
            Column("applies_to", "list", "Schedule classes and substance keys the rule applies to.", required=True),
            Column("documents", "list", "The document kinds the rule requires.", required=True),
            Column("threshold", "string", "When the documents are needed.", required=True, enum=("always", "guideline", "amount", "days")),
            Column("threshold_mg", "number", "For threshold amount: above this many milligrams of active substance."),
            Column("threshold_days", "integer", "For threshold days: for a supply longer than this many days."),
            Column("permit_lead_days", "integer", "Days ahead of travel an import permit must be applied for."),
        ),
        primary_key=("seq", "rule"),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "supply-exceptions", "Substances for which a requirements document allows a longer supply.",
        (
            _seq(),
            _position("exception", "exception", "supply_exceptions"),
            Column("substances", "list", "Substance keys.", required=True),
            Column("max_supply_days", "integer", "The longest supply allowed for them, in days.", required=True),
        ),
        primary_key=("seq", "exception"),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "legal-basis", "The legal texts a requirements document cites.",
        (
            _seq(),
            _position("item", "legal text", "legal_basis"),
            Column("title", "string", "Title of the legal text.", required=True),
            Column("url", "string", "Where to read it."),
            Column("date", "date", "Its date."),
        ),
        primary_key=("seq", "item"),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "authorities", "The authorities each authorities document lists.",
        (
            _seq(),
            _position("authority", "authority", "authorities"),
            Column("name", "string", "The authority's name.", required=True),
            Column("roles", "list", "permits, certificates, competent-authority, enquiries, exceptions.", required=True),
            Column("address_lines", "string", "Street address, one line a line.", required=True),
            Column("city", "string", "City.", required=True),
            Column("postal_code", "string", "Postal code."),
            Column("address_country", "string", "Country of the address.", required=True),
            Column("phone", "string", "Telephone, international form."),
            Column("fax", "string", "Fax, international form."),
            Column("email", "string", "The office's e-mail address."),
            Column("website", "string", "The office's website."),
            Column("languages", "list", "Languages the office answers in (ISO 639-1)."),
        ),
        primary_key=("seq", "authority"),
        foreign_keys=(*_VERSION_KEY, ("address_country", "countries", "country")),
    ),
    Table(
        "bans", "Import prohibitions under article 13 of the 1971 Convention, by import-bans version.",
        (
            _seq(),
            _position("ban", "ban", "bans"),
            Column("substance", "string", "The banned substance (1971 Schedule II, III or IV).", required=True),
            Column("since", "date", "Since when.", required=True),
            Column("region", "string", "The region the ban covers; empty: the whole country."),
            _flag("special_licence", "Whether imports may still be authorized case by case (article 13(3)).", required=True),
            Column("reference", "string", "The notification's reference."),
        ),
        primary_key=("seq", "ban"),
        foreign_keys=(*_VERSION_KEY, ("substance", "substances", "key")),
    ),
    Table(
        "texts", "Every text people read (notes, reasons, how to continue treatment), by field path and language.",
        (
            _seq(),
            Column("path", "string", "The field's path in the document, e.g. notes or rules.0.notes.", required=True),
            Column("language", "string", "ISO 639-1 language code.", required=True),
            Column("text", "string", "The text.", required=True),
        ),
        primary_key=("seq", "path", "language"),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "confirmations", "Each time an authority confirmed that its current version was still correct.",
        (
            _seq("seq of the version confirmed."),
            Column("confirmed_at", "datetime", "When (UTC).", required=True),
        ),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "substances", "Reference data: every substance of the 1961 and 1971 schedules (current edition, see metadata.json).",
        (
            Column("key", "string", "The substance key used in documents.", required=True),
            Column("inn", "string", "International Nonproprietary Name, or the list's name.", required=True),
            Column("name_en", "string", "Name in English.", required=True),
            Column("name_zh", "string", "Name in Chinese."),
            Column("schedules", "list", "Schedule classes, e.g. 1961-I,1961-IV.", required=True),
        ),
        primary_key=("key",),
    ),
    Table(
        "guideline-amounts", "Reference data: the amounts of Annexes II and III of the guidelines that threshold guideline refers to.",
        (
            Column("substance", "string", "Substance key.", required=True),
            Column("annex", "string", "II (a certificate may be required above it) or III (a prescription).", required=True,
                   enum=("II", "III")),
            Column("form", "string", "The dosage form it applies to; empty: every other form."),
            Column("amount_mg", "number", "Total milligrams of active substance.", required=True),
            Column("paragraph", "string", "Paragraph of the guidelines.", required=True),
        ),
        foreign_keys=(("substance", "substances", "key"),),
    ),
)
TABLE_NAMES = tuple(table.name for table in TABLES)


def _texts(seq: int, path: str, text: dict | None) -> Iterator[tuple[str, dict]]:
    for language, value in (text or {}).items():
        yield "texts", {"seq": seq, "path": path, "language": language, "text": value}


def _requirements_rows(seq: int, document: dict) -> Iterator[tuple[str, dict]]:
    customs = document["customs"]
    continuity = document.get("treatment_continuity") or {}
    yield "requirements", {
        "seq": seq, "travellers_allowed": document["travellers_allowed"], "max_supply_days": document.get("max_supply_days"),
        "retail_package_exemption": document.get("retail_package_exemption"), "document_languages": document.get("document_languages"),
        "translation_required": document.get("translation_required"), **customs, "transit": document.get("transit"),
        "extension_possible": continuity.get("extension_possible"),
    }
    for index, rule in enumerate(document["rules"]):
        yield "rules", {"seq": seq, "rule": index, **{name: value for name, value in rule.items() if name != "notes"}}
        yield from _texts(seq, f"rules.{index}.notes", rule.get("notes"))
    for index, exception in enumerate(document.get("supply_exceptions", [])):
        yield "supply-exceptions", {"seq": seq, "exception": index, "substances": exception["substances"],
                                    "max_supply_days": exception["max_supply_days"]}
        yield from _texts(seq, f"supply_exceptions.{index}.reason", exception.get("reason"))
    for index, item in enumerate(document.get("legal_basis", [])):
        yield "legal-basis", {"seq": seq, "item": index, **item}
    yield from _texts(seq, "transit_notes", document.get("transit_notes"))
    yield from _texts(seq, "treatment_continuity.how", continuity.get("how"))
    yield from _texts(seq, "notes", document.get("notes"))


def _authorities_rows(seq: int, document: dict) -> Iterator[tuple[str, dict]]:
    for index, authority in enumerate(document["authorities"]):
        address = authority["address"]
        yield "authorities", {
            "seq": seq, "authority": index, **{name: value for name, value in authority.items() if name not in ("address", "notes")},
            "address_lines": "\n".join(address["lines"]), "city": address["city"], "postal_code": address.get("postal_code"),
            "address_country": address["country"],
        }
        yield from _texts(seq, f"authorities.{index}.notes", authority.get("notes"))


def _import_bans_rows(seq: int, document: dict) -> Iterator[tuple[str, dict]]:
    for index, ban in enumerate(document["bans"]):
        yield "bans", {"seq": seq, "ban": index, **{name: value for name, value in ban.items() if name != "notes"}}
        yield from _texts(seq, f"bans.{index}.notes", ban.get("notes"))


_DOCUMENT_ROWS = {"requirements": _requirements_rows, "authorities": _authorities_rows, "import-bans": _import_bans_rows}


def version_rows(resource: dict) -> Iterator[tuple[str, dict]]:
    """The rows one version (as history.resource gives it) adds to the tables: (table name, row)."""
    meta, document = resource["meta"], resource["document"]
    yield "versions", {
        **{name: meta[name] for name in ("seq", "country", "section", "version", "published_at", "published_by",
                                          "withdrawn", "prev_hash", "hash")},
        "effective_from": document["effective_from"] if document else None,
        "changes": "\n".join(meta["changes"]),
    }
    if document is not None:
        yield from _DOCUMENT_ROWS[meta["section"]](meta["seq"], document)


def _country_rows(state: State) -> Iterator[dict]:
    heads = history.current_versions(until_seq=state.last_seq)
    confirmed = history.last_confirmed(list(heads.values()), until=state.until)
    for code, country in reference.countries().items():
        row = {"country": code, "name_en": country.names["en"], "name_zh": country.names.get("zh")}
        for section in SECTIONS:
            version = heads.get((code, section))
            prefix = section.replace("-", "_")
            row[f"{prefix}_seq"] = version.seq if version else None
            row[f"{prefix}_last_confirmed"] = confirmed[version.seq] if version else None
        yield row


def _substance_rows() -> Iterator[dict]:
    for key, item in reference.substances().items():
        yield {"key": key, "inn": item.inn, "name_en": item.names["en"], "name_zh": item.names.get("zh"),
               "schedules": list(item.schedules)}


def _amount_rows() -> Iterator[dict]:
    for amount in reference.guideline_amounts():
        yield {"substance": amount.substance, "annex": amount.annex, "form": amount.form, "amount_mg": amount.amount_mg,
               "paragraph": amount.paragraph}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, float):
        return json.dumps(value)
    return str(value)


class _TableWriters:
    """One CSV writer per table, each row checked against the table's columns."""

    def __init__(self, directory: Path):
        self.files = {table.name: (directory / table.filename).open("w", encoding="utf-8", newline="") for table in TABLES}
        self.columns = {table.name: [column.name for column in table.columns] for table in TABLES}
        self.writers = {name: csv.writer(stream) for name, stream in self.files.items()}
        self.counts = dict.fromkeys(self.files, 0)
        for name, writer in self.writers.items():
            writer.writerow(self.columns[name])

    def write(self, table: str, row: dict) -> None:
        unknown = set(row) - set(self.columns[table])
        if unknown:
            raise ExportError(f"{table}.csv has no column for {sorted(unknown)}; a document field is missing from exports.TABLES.")
        self.writers[table].writerow([_cell(row.get(name)) for name in self.columns[table]])
        self.counts[table] += 1

    def close(self) -> None:
        for stream in self.files.values():
            stream.close()


def _write_history(directory: Path, state: State, progress: Callable[[int], None]) -> dict[str, int]:
    """changes.jsonl and every table, in one pass over the history; returns the rows per table."""
    tables = _TableWriters(directory)
    try:
        with (directory / "changes.jsonl").open("wb") as lines:
            for rows in versions(until_seq=state.last_seq):
                for row in rows:
                    lines.write(change_line(row).encode("utf-8"))
                    for table, values in version_rows(history.resource(row)):
                        tables.write(table, values)
                progress(len(rows))
        for values in _country_rows(state):
            tables.write("countries", values)
        for seq, confirmed_at in history.confirmations(until=state.until):
            if seq <= state.last_seq:
                tables.write("confirmations", {"seq": seq, "confirmed_at": confirmed_at})
        for values in _substance_rows():
            tables.write("substances", values)
        for values in _amount_rows():
            tables.write("guideline-amounts", values)
    finally:
        tables.close()
    return tables.counts


# -- the bundle -------------------------------------------------------------------------

FILE_DESCRIPTIONS = {
    "README.md": "What each file is, what every field means, how to verify and restore.",
    "metadata.json": "Format version, when and from which state the bundle was made, record counts.",
    "datapackage.json": "Frictionless Data Package: every CSV table with its Table Schema and keys.",
    "registry.json": "The current state of every country.",
    "changes.jsonl": "Every version (meta and document), one JSON object a line, in seq order.",
    **{table.filename: table.description for table in TABLES},
    "SHA256SUMS": "SHA-256 of every other file (sha256sum -c SHA256SUMS).",
}
BUNDLE_FILES = tuple(FILE_DESCRIPTIONS)


def metadata(state: State, generated_at: datetime, counts: dict[str, int]) -> dict:
    """metadata.json: what the bundle holds and what made it."""
    return {
        **header(state, generated_at),
        "demo_note": state.demo_note,
        "application": {"name": "travellers-registry", "version": __version__},
        "reference_data": dict(reference.edition()),
        "counts": counts,
    }


def datapackage() -> dict:
    """datapackage.json: the CSV tables as a Frictionless tabular data package."""
    return {
        "profile": "tabular-data-package",
        "name": "travellers-registry",
        "title": "National rules for travellers under treatment with internationally controlled drugs",
        "description": "The notifications of the registry (UN guidelines of 2003, ¶35–36), flattened into tables. "
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
    counts = _write_history(directory, state, progress)
    (directory / "metadata.json").write_bytes(_pretty(metadata(state, generated_at, counts)))
    (directory / "datapackage.json").write_bytes(_pretty(datapackage()))
    (directory / "README.md").write_text(readme(), encoding="utf-8", newline="\n")
    sums = "".join(f"{sha256_file(directory / name)}  {name}\n" for name in BUNDLE_FILES if name != "SHA256SUMS")
    (directory / "SHA256SUMS").write_text(sums, encoding="ascii", newline="\n")
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


def read_bundle(directory: Path) -> Bundle:
    """The bundle in directory, once its checksums, its hash chain and its metadata agree; else ExportError."""
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
    except (KeyError, ValueError) as error:
        raise ExportError(f"confirmations.csv is not readable: {error}.") from None
    return bundle


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
    missing = [name for name in BUNDLE_FILES if name != "SHA256SUMS" and name not in listed]
    if missing:
        raise ExportError(f"SHA256SUMS does not list {', '.join(missing)}.")
    for name, digest in listed.items():
        path = directory / name
        if name not in BUNDLE_FILES or not path.is_file():
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
