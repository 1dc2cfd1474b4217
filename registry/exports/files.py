"""The exports' state and its JSON files: registry.json and changes.jsonl (docs/api.md, "Exports"; docs/exports.md).

registry.json (every country's current sections), changes.jsonl (every version), CSV
tables that flatten the documents, their Frictionless data package, metadata, a README
and SHA256SUMS. Everything is built from the read model (registry/history.py), so an
export shows a version exactly as the API does. The caller holds one read transaction
(db.read_snapshot) around a whole build, so that every file describes the same state.
Rows are ordered and zip entries dated from the data, never from the clock: exporting
one state twice gives the same bytes except `generated_at`.

The CSV tables are in tables.py, the bundle in bundle.py, reading a bundle back in
restore.py.
"""
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import lru_cache
from typing import Iterator


from .. import chain, history, reference
from ..config import VERSION
from ..db import rfc3339, utcnow
from ..documents import SECTIONS
from ..models import Version

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
        """An entity tag for one export of this state: the head hash commits to every version before it,
        reference_digest to the reference data the exports carry."""
        latest = rfc3339(self.confirmed[1]) if self.confirmed[1] else None
        key = [FORMAT_VERSION, VERSION, reference_digest(), self.last_seq, self.hash, self.confirmed[0], latest, self.demo,
               self.as_of.isoformat() if self.as_of else None, *parameters]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def reference_data() -> dict:
    """registry.json's reference_data: the editions the reference data follows, and every product."""
    return {"edition": dict(reference.edition()), "products": [item.as_json() for item in reference.products().values()]}


@lru_cache(maxsize=None)
def reference_digest() -> str:
    """SHA-256 of the reference data the exports carry (registry.json's and the reference tables'), so that
    new reference data (a product added, a substance controlled) makes new exports and new ETags even when
    the application's version stays the same. It is read once per process, as the reference data is."""
    substances = [[key, item.inn, dict(item.names), list(item.schedules), item.note]
                  for key, item in reference.substances().items()]
    amounts = [[item.substance, item.annex, item.form, item.amount_mg, item.paragraph] for item in reference.guideline_amounts()]
    countries = [[code, dict(item.names)] for code, item in reference.countries().items()]
    content = [reference_data(), substances, amounts, countries]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


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
    """The fields every export starts with (docs/api.md, "Exports")."""
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
    """registry.json: every ISO country with, per section, its current version and last confirmation, or null;
    then the reference data's products (as they are now, also for an as_of day)."""
    heads = history.current_versions(until_seq=state.last_seq)
    confirmed = history.last_confirmed(list(heads.values()), until=state.until)
    countries = {}
    for code, country in reference.countries().items():
        entry = {"names": dict(country.names)}
        for section in SECTIONS:
            row = heads.get((code, section))
            entry[section] = None if row is None else {**history.resource(row), "last_confirmed": rfc3339(confirmed[row.seq])}
        countries[code] = entry
    return {**header(state, generated_at), "countries": countries, "reference_data": reference_data()}


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


