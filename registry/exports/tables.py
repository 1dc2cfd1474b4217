"""The CSV tables of the bundle: every document flattened into rows, with their Frictionless descriptions."""
import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator


from .. import history, reference
from ..db import rfc3339
from ..documents import SECTIONS
from ..workflow import reconfirmation
from .files import ExportError, State, change_line, public_threads, versions

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
    # Not the history of versions — the exporting registry's reference data, or the public question threads:
    # restore does not read it, and a bundle made before the table was added lacks it.
    reference: bool = False

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


def _seq(description: str = "seq of the version (versions.csv) this row belongs to.") -> tuple[Column, ...]:
    """seq, and beside it the version's country and section, so that a reader can filter a table without a join."""
    return (
        Column("seq", "integer", description, required=True),
        Column("country", "string", "The notifying country (ISO 3166-1 alpha-2), as in versions.csv.", required=True),
        Column("section", "string", "The section of that version, as in versions.csv.", required=True, enum=SECTIONS),
    )


def _position(name: str, what: str, path: str) -> Column:
    return Column(name, "integer", f"Position of the {what} in the document, from 0, as in the field path {path}.0.", required=True)


def _flag(name: str, description: str, required: bool = False) -> Column:
    return Column(name, "boolean", description, required=required)


_VERSION_KEY = (("seq", "versions", "seq"), ("country", "countries", "country"))
# Whether a convention or only some countries control a substance (Product.as_json's "control").
CONTROLS = ("international", reference.NATIONAL)
_SECTION_COLUMNS = tuple(
    column
    for section in SECTIONS
    for column in (
        Column(f"{section.replace('-', '_')}_seq", "integer", f"seq of the current {section} version; empty where nothing was notified."),
        Column(f"{section.replace('-', '_')}_last_confirmed", "datetime",
               f"When the current {section} version was last confirmed (or published, if later)."),
    )
)
# After the columns above, so that a reader of the older tables finds every column where it was.
_CONFIRMATION_COLUMNS = tuple(
    column
    for section in SECTIONS
    for column in (
        Column(f"{section.replace('-', '_')}_confirmation_due", "datetime",
               f"When the current {section} version is due for confirmation (last confirmed plus the confirmation cycle); "
               "empty where nothing was notified or the section is withdrawn."),
        _flag(f"{section.replace('-', '_')}_overdue",
              f"true: the current {section} version was neither confirmed nor republished within the cycle; "
              "empty where nothing was notified."),
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
            *_CONFIRMATION_COLUMNS,
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
            *_seq(),
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
            *_seq(),
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
            *_seq(),
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
            *_seq(),
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
            *_seq(),
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
            *_seq(),
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
            *_seq(),
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
            *_seq("seq of the version confirmed."),
            Column("confirmed_at", "datetime", "When (UTC).", required=True),
        ),
        foreign_keys=_VERSION_KEY,
    ),
    Table(
        "questions", "The public question threads: a question one country (or the secretariat) asked about a version of "
                     "another country's section, which the country asked made public; their messages are in "
                     "question-messages.csv. Threads not made public are never exported.",
        (
            Column("question", "integer", "The thread's number.", required=True),
            Column("country", "string", "The country asked, whose section the question is about.", required=True),
            Column("section", "string", "The section asked about.", required=True, enum=SECTIONS),
            Column("version", "integer", "The version asked about (versions.csv: country, section, version).", required=True),
            Column("asked_by_country", "string", "The country that asked; empty: the secretariat."),
            Column("subject", "string", "The question's subject.", required=True),
            Column("asked_at", "datetime", "When it was asked (UTC).", required=True),
            Column("public_at", "datetime", "When the country asked made the thread public (UTC).", required=True),
        ),
        primary_key=("question",),
        foreign_keys=(("country", "countries", "country"), ("asked_by_country", "countries", "country")),
        reference=True,
    ),
    Table(
        "question-messages", "The messages of the public question threads, in the order they were written: the authority "
                             "that wrote each, never a person or an address.",
        (
            Column("question", "integer", "The thread (questions.csv).", required=True),
            Column("message", "integer", "Position of the message in the thread, from 0.", required=True),
            Column("country", "string", "The author's country; empty: the secretariat."),
            Column("authority", "string", "The authority that wrote it.", required=True),
            Column("at", "datetime", "When it was written (UTC).", required=True),
            Column("body", "string", "The message.", required=True),
        ),
        primary_key=("question", "message"),
        foreign_keys=(("question", "questions", "question"), ("country", "countries", "country")),
        reference=True,
    ),
    Table(
        "substances", "Reference data: every substance of the 1961 and 1971 schedules, and those under no international "
                      "control that some countries control by their own law (current edition, see metadata.json).",
        (
            Column("key", "string", "The substance key used in documents.", required=True),
            Column("inn", "string", "International Nonproprietary Name, or the list's name.", required=True),
            Column("name_en", "string", "Name in English.", required=True),
            Column("name_zh", "string", "Name in Chinese."),
            Column("schedules", "list", f"Schedule classes, e.g. 1961-I,1961-IV; {reference.NATIONAL} alone for a substance "
                                        "no convention schedules.", required=True),
            Column("control", "string", f"international: in a schedule of the 1961 or 1971 Convention; {reference.NATIONAL}: "
                                        "controlled only by some countries' law.", required=True, enum=CONTROLS),
            Column("note", "string", "For a nationally controlled substance: who controls it, and since when."),
        ),
        primary_key=("key",),
        reference=True,
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
        reference=True,
    ),
    Table(
        "products", "Reference data: medicinal products as travellers name them (data/products.json); "
                    "their active ingredients are in product-ingredients.csv.",
        (
            Column("key", "string", "The product's key (GET /api/v1/products/{key}).", required=True),
            Column("label", "string", "Its usual name and strengths, as on the box: Ritalin 10 mg.", required=True),
            Column("names", "list", "Names printed on the box, the usual one first.", required=True),
            Column("markets", "list", "ISO 3166-1 alpha-2 codes of countries where it is sold under those names "
                                      "(not necessarily every one).", required=True),
            Column("form", "string", "Dosage form.", required=True, enum=reference.PRODUCT_FORMS),
            Column("unit", "string", "What one counts of it: the unit its strengths are given per.", required=True,
                   enum=reference.PRODUCT_UNITS),
            _flag("schedule_1961_iii", "true: a preparation within Schedule III of the 1961 Convention at these strengths; "
                                       "false: beyond it; empty: it holds no drug that Schedule III names."),
            Column("note", "string", "What else a traveller should know of it."),
        ),
        primary_key=("key",),
        reference=True,
    ),
    Table(
        "product-ingredients", "Reference data: every active ingredient of every product, one row each "
                               "(controlled or not), in the order of the label.",
        (
            Column("product", "string", "The product's key, as in products.csv.", required=True),
            Column("ingredient", "integer", "Position of the ingredient in the product, from 0.", required=True),
            Column("inn", "string", "International Nonproprietary Name, in English.", required=True),
            Column("substance", "string", "Its substance key (substances.csv); empty for an ingredient no convention "
                                          "and no country controls."),
            Column("control", "string", f"international or {reference.NATIONAL}, as in substances.csv; "
                                        "empty: not controlled.", enum=CONTROLS),
            Column("strength", "string", "The strength as the label prints it: 10 mg, 50 µg/h.", required=True),
            Column("mg_per_unit", "number", "Milligrams in one unit (tablet, patch, bottle…), counted as labelled "
                                            "(see expressed_as).", required=True),
            Column("expressed_as", "string", "What the labelled strength counts: base, or the salt (hydrochloride…).",
                   required=True),
            Column("percent", "number", "Concentration in per cent, for an undivided preparation."),
        ),
        primary_key=("product", "ingredient"),
        foreign_keys=(("product", "products", "key"), ("substance", "substances", "key")),
        reference=True,
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
        where = {"country": meta["country"], "section": meta["section"]}
        for table, row in _DOCUMENT_ROWS[meta["section"]](meta["seq"], document):
            yield table, {**row, **where}


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
            in_force = version is not None and not version.withdrawn
            row[f"{prefix}_confirmation_due"] = reconfirmation.add_months(confirmed[version.seq], state.cycle) if in_force else None
            row[f"{prefix}_overdue"] = version.seq in state.overdue.seqs if version else None
        yield row


def _thread_rows(state: State) -> Iterator[tuple[str, dict]]:
    """questions.csv and question-messages.csv: the threads public in this state (files.public_threads)."""
    for record in public_threads(state):
        yield "questions", {"question": record["id"], "asked_at": record["asked_at"], "public_at": record["public_at"],
                            **{name: record[name] for name in ("country", "section", "version", "asked_by_country", "subject")}}
        for index, message in enumerate(record["messages"]):
            yield "question-messages", {"question": record["id"], "message": index, **message}


def _substance_rows() -> Iterator[dict]:
    for key, item in reference.substances().items():
        yield {"key": key, "inn": item.inn, "name_en": item.names["en"], "name_zh": item.names.get("zh"),
               "schedules": list(item.schedules), "control": reference.NATIONAL if item.national else "international", "note": item.note}


def _product_rows() -> Iterator[tuple[str, dict]]:
    """products.csv and product-ingredients.csv, from the products as the API gives them (Product.as_json)."""
    for item in reference.products().values():
        product = item.as_json()
        for name in product["names"]:
            if "," in name:  # a list cell joins its items with ","
                raise ExportError(f"The product name {name!r} ({product['key']}) holds a comma, which a list cell cannot.")
        yield "products", {name: product[name] for name in
                           ("key", "label", "names", "markets", "form", "unit", "schedule_1961_iii", "note")}
        for index, ingredient in enumerate(product["ingredients"]):
            yield "product-ingredients", {"product": product["key"], "ingredient": index, **ingredient}


def _amount_rows() -> Iterator[dict]:
    for amount in reference.guideline_amounts():
        yield {"substance": amount.substance, "annex": amount.annex, "form": amount.form, "amount_mg": amount.amount_mg,
               "paragraph": amount.paragraph}


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"


def text_cell(text: str) -> str:
    """A text as a CSV cell that no spreadsheet runs: one that starts like a formula, or with the
    escape itself, gets a leading `'`; a reader removes exactly one leading `'` to have the text
    back (docs/exports.md, "CSV tables and spreadsheets")."""
    return ESCAPE + text if text.startswith(FORMULA_STARTS + (ESCAPE,)) else text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return text_cell(",".join(value))
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        return text_cell(value)
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


def write_history(directory: Path, state: State, progress: Callable[[int], None]) -> dict[str, int]:
    """changes.jsonl and every table, in one pass over the history; returns the rows per table."""
    tables = _TableWriters(directory)
    confirmed = {seq: None for seq, _ in history.confirmations(until=state.until) if seq <= state.last_seq}
    try:
        with (directory / "changes.jsonl").open("wb") as lines:
            for rows in versions(until_seq=state.last_seq):
                for row in rows:
                    lines.write(change_line(row).encode("utf-8"))
                    if row.seq in confirmed:
                        confirmed[row.seq] = {"country": row.country, "section": row.section}
                    for table, values in version_rows(history.resource(row)):
                        tables.write(table, values)
                progress(len(rows))
        for values in _country_rows(state):
            tables.write("countries", values)
        for seq, confirmed_at in history.confirmations(until=state.until):
            if seq <= state.last_seq:
                tables.write("confirmations", {"seq": seq, **confirmed[seq], "confirmed_at": confirmed_at})
        for table, values in _thread_rows(state):
            tables.write(table, values)
        for values in _substance_rows():
            tables.write("substances", values)
        for values in _amount_rows():
            tables.write("guideline-amounts", values)
        for table, values in _product_rows():
            tables.write(table, values)
    finally:
        tables.close()
    return tables.counts


