"""The exports' state and its JSON files: registry.json and changes.jsonl (docs/api.md, "Exports"; docs/exports.md).

registry.json (every country's current sections, and the public question threads),
changes.jsonl (every version), CSV tables that flatten the documents, their Frictionless
data package, metadata, a README and SHA256SUMS. Everything is built from the read model
(registry/history.py), so an export shows a version exactly as the API does. The caller
holds one read transaction (db.read_snapshot) around a whole build, so that every file
describes the same state. Rows are ordered and zip entries dated from the data, never
from the clock: exporting one state twice gives the same bytes except `generated_at`.

Time alone changes one thing: a section passes its confirmation due date and becomes
overdue (registry/workflow/reconfirmation.py). The state therefore names the sections
overdue when it was read, so that the ETag, the files kept on disk and Last-Modified
change at that moment too.

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

from sqlalchemy import func, select

from .. import chain, history, reference
from ..config import VERSION
from ..db import db, rfc3339, utcnow
from ..documents import SECTIONS
from ..models import Question, QuestionMessage, Version
from ..workflow import questions, reconfirmation

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
class Overdue:
    """The current sections of a state that were overdue at a moment, and when that answer changes."""

    seqs: tuple[int, ...]  # their current versions
    since: datetime | None  # when the last of them became overdue
    next_due: datetime | None  # when the next section becomes overdue; None: none will, in this state


NONE_OVERDUE = Overdue((), None, None)


@dataclass(frozen=True)
class State:
    """The registry as an export describes it: as it stood after `last_seq`, at the end of `as_of` if given."""

    as_of: date | None
    last_seq: int
    hash: str
    published_at: datetime | None
    confirmed: tuple[int, datetime | None]  # how many confirmations, and the latest
    demo_note: str | None
    cycle: int  # the confirmation cycle, in months
    overdue: Overdue  # which current sections were overdue when the state was read
    threads: tuple[int, int, datetime | None]  # public question threads, their messages, and when they last changed

    @property
    def until(self) -> datetime | None:
        return None if self.as_of is None else end_of(self.as_of)

    @property
    def demo(self) -> bool:
        return self.demo_note is not None

    @property
    def last_modified(self) -> datetime | None:
        """When the exported content last changed: a publication, a confirmation, a section becoming overdue,
        or a public question thread."""
        moments = (self.published_at, self.confirmed[1], self.overdue.since, self.threads[2])
        return max((moment for moment in moments if moment is not None), default=None)

    def versions_only(self) -> "State":
        """This state without its confirmations, their cycle and the question threads: what changes.jsonl shows of it."""
        return replace(self, confirmed=(0, None), cycle=0, overdue=NONE_OVERDUE, threads=(0, 0, None))

    def tag(self, *parameters) -> str:
        """An entity tag for one export of this state: the head hash commits to every version before it,
        reference_digest to the reference data the exports carry."""
        latest = rfc3339(self.confirmed[1]) if self.confirmed[1] else None
        changed = rfc3339(self.threads[2]) if self.threads[2] else None
        key = [FORMAT_VERSION, VERSION, reference_digest(), self.last_seq, self.hash, self.confirmed[0], latest, self.demo,
               self.as_of.isoformat() if self.as_of else None, self.cycle, list(self.overdue.seqs), *self.threads[:2], changed,
               *parameters]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


# The last answer of overdue(), by what it depends on: repeated reads of an unchanged state (a conditional
# request answered 304) cost no query until the next due date passes.
_last_overdue: dict[tuple, Overdue] = {}


def overdue(last_seq: int, head_hash: str, until: datetime | None, confirmed: tuple[int, datetime | None], cycle: int,
            moment: datetime) -> Overdue:
    """Which current sections (as of `last_seq`, whose hash commits to every version before it, and the
    confirmations made by `until`) are overdue at `moment`."""
    key = (last_seq, head_hash, until, confirmed, cycle)
    kept = _last_overdue.get(key)
    if kept is not None and (kept.since is None or kept.since <= moment) and (kept.next_due is None or moment < kept.next_due):
        return kept
    heads = [row for row in history.current_versions(until_seq=last_seq).values() if not row.withdrawn]
    last = history.last_confirmed(heads, until=until)
    dues = {row.seq: reconfirmation.add_months(last[row.seq], cycle) for row in heads}
    found = Overdue(seqs=tuple(sorted(seq for seq, due in dues.items() if due <= moment)),
                    since=max((due for due in dues.values() if due <= moment), default=None),
                    next_due=min((due for due in dues.values() if due > moment), default=None))
    _last_overdue.clear()
    _last_overdue[key] = found
    return found


def thread_counts(until: datetime | None = None) -> tuple[int, int, datetime | None]:
    """The public question threads (made public by `until`): how many, how many messages, and when they last changed."""
    public = Question.public_at.is_not(None) if until is None else Question.public_at <= until
    threads, made_public = db.session.execute(select(func.count(), func.max(Question.public_at)).where(public)).one()
    messages = select(func.count(), func.max(QuestionMessage.created_at)).join(Question).where(public)
    if until is not None:
        messages = messages.where(QuestionMessage.created_at <= until)
    count, written = db.session.execute(messages).one()
    return threads, count, max((moment for moment in (made_public, written) if moment is not None), default=None)


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
    """The state an export made now describes (read inside the export's transaction).

    For an as_of day, a section is overdue if it was at the end of that day (or now, for today),
    by the confirmation cycle set now: the registry keeps no history of the cycle.
    """
    until = None if as_of is None else end_of(as_of)
    now = utcnow()
    top = history.head(until=until)
    confirmed = history.confirmation_count(until=until)
    last_seq, head_hash, cycle = top.seq if top else 0, top.hash if top else chain.GENESIS_HASH, reconfirmation.cycle_months()
    return State(
        as_of=as_of,
        last_seq=last_seq,
        hash=head_hash,
        published_at=top.published_at if top else None,
        confirmed=confirmed,
        demo_note=history.demo_note(),
        cycle=cycle,
        overdue=overdue(last_seq, head_hash, until, confirmed, cycle, min(until, now) if until else now),
        threads=thread_counts(until),
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
    the public question threads; then the reference data's products (as they are now, also for an as_of day)."""
    heads = history.current_versions(until_seq=state.last_seq)
    confirmed = history.last_confirmed(list(heads.values()), until=state.until)
    countries = {}
    for code, country in reference.countries().items():
        entry = {"names": dict(country.names)}
        for section in SECTIONS:
            row = heads.get((code, section))
            entry[section] = None if row is None else current_section(row, confirmed[row.seq], state)
        countries[code] = entry
    return {**header(state, generated_at), "countries": countries, "questions": thread_records(state),
            "reference_data": reference_data()}


def current_section(row: Version, confirmed_at: datetime, state: State) -> dict:
    """A current section as registry.json gives it: the version as the API's current-section read gives it
    (its meta with `confirmation_due` and `overdue`), and when it was last confirmed."""
    resource = history.resource(row)
    due = None if row.withdrawn else rfc3339(reconfirmation.add_months(confirmed_at, state.cycle))
    resource["meta"].update(confirmation_due=due, overdue=row.seq in state.overdue.seqs)
    return {**resource, "last_confirmed": rfc3339(confirmed_at)}


def public_threads(state: State) -> list[dict]:
    """The question threads public in this state, oldest first, each with the messages written by then
    (questions.public_record: no account, no address)."""
    found = []
    for question in questions.public():
        record = questions.public_record(question)
        if state.until is not None and record["public_at"] > state.until:
            continue
        record["messages"] = [message for message in record["messages"] if state.until is None or message["at"] <= state.until]
        found.append(record)
    return found


def thread_records(state: State) -> list[dict]:
    """registry.json's `questions`: the public threads, their moments in RFC 3339."""
    return [{**record, "asked_at": rfc3339(record["asked_at"]), "public_at": rfc3339(record["public_at"]),
             "messages": [{**message, "at": rfc3339(message["at"])} for message in record["messages"]]}
            for record in public_threads(state)]


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


