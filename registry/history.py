"""The read model: current state and history of every notification.

Everything that shows a version (API, feeds, exports, pages) builds it with the
functions here, so a version has one public shape. Dictionaries are built field
by field, so that changing a model cannot change the public format by accident.
"""
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from . import reference
from .chain import HASHED_FIELDS
from .db import rfc3339, single_read
from .documents import SECTIONS
from .db import db
from .models import Confirmation, CurrentSection, Setting, Version, VersionSubstance


def meta(version: Version) -> dict:
    """A version's `meta` (docs/api.md, "JSON API"); `approved_by` only when a second account approved it."""
    fields = {
        "country": version.country,
        "section": version.section,
        "version": version.version,
        "seq": version.seq,
        "published_at": rfc3339(version.published_at),
        "published_by": version.published_by,
        "withdrawn": version.withdrawn,
        "changes": json.loads(version.changes),
        "prev_hash": version.prev_hash,
        "hash": version.hash,
    }
    if version.approved_by is not None:
        fields["approved_by"] = version.approved_by
    return fields


def document(version: Version):
    """The version's document as published, or None for a withdrawal."""
    return None if version.document is None else json.loads(version.document)


def resource(version: Version) -> dict:
    """`{"meta": …, "document": …}`: one version as the API and changes.jsonl give it."""
    return {"meta": meta(version), "document": document(version)}


def chain_fields(version: Version) -> dict:
    """The fields the hash chain covers, and the hash, as published."""
    fields = {name: value for name, value in meta(version).items() if name in HASHED_FIELDS or name == "hash"}
    return {**fields, "document": document(version)}


def etag(version: Version) -> str:
    """A version's entity tag is its hash: it changes exactly when the version does."""
    return version.hash


def current(country: str, section: str) -> Version | None:
    return db.session.scalar(
        select(Version)
        .where(Version.country == country, Version.section == section)
        .order_by(Version.version.desc())
        .limit(1)
    )


def version(country: str, section: str, number: int) -> Version | None:
    return db.session.scalar(
        select(Version).where(Version.country == country, Version.section == section, Version.version == number)
    )


def versions(country: str, section: str) -> list[Version]:
    return list(
        db.session.scalars(
            select(Version).where(Version.country == country, Version.section == section).order_by(Version.version)
        )
    )


def versions_before(country: str, section: str, before: int, count: int) -> list[Version]:
    """Up to `count` versions of a section numbered below `before`, newest first: one page of its history,
    found by key in the index on (country, section, version), however long the history."""
    return list(db.session.scalars(
        select(Version).where(Version.country == country, Version.section == section, Version.version < before)
        .order_by(Version.version.desc()).limit(count)
    ))


def previous_document(row: Version):
    """What the section held just before `row` was published: None for a first notification or after a withdrawal."""
    before = version(row.country, row.section, row.version - 1)
    return document(before) if before is not None else None


def current_versions(*, country: str | None = None, section: str | None = None, until_seq: int | None = None,
                     countries=None) -> dict[tuple[str, str], Version]:
    """The newest version of every (country, section), optionally as it stood at a seq.

    Read from the sections' current entries (CurrentSection), not from the history: as many
    lookups as there are sections, however many versions each has.
    """
    seq = CurrentSection.seq if until_seq is None else _seq_at(until_seq)
    entries = select(seq).select_from(CurrentSection)
    if country is not None:
        entries = entries.where(CurrentSection.country == country)
    if countries is not None:
        entries = entries.where(CurrentSection.country.in_(list(countries)))
    if section is not None:
        entries = entries.where(CurrentSection.section == section)
    rows = db.session.scalars(select(Version).where(Version.seq.in_(entries.scalar_subquery())).order_by(Version.country, Version.section))
    return {(row.country, row.section): row for row in rows}


def _seq_at(until_seq: int):
    """The seq of the current entry's section as it stood at `until_seq` (NULL before its first version):
    one step down the index on (country, section, seq)."""
    before = aliased(Version)
    return (select(before.seq)
            .where(before.country == CurrentSection.country, before.section == CurrentSection.section, before.seq <= until_seq)
            .order_by(before.seq.desc()).limit(1).correlate(CurrentSection).scalar_subquery())


def last_confirmed(versions_: list[Version], *, until: datetime | None = None) -> dict[int, datetime]:
    """When each version was last confirmed (its publication counts as the first confirmation), as of `until`."""
    seqs = [row.seq for row in versions_]
    query = select(Confirmation.seq, func.max(Confirmation.confirmed_at)).where(Confirmation.seq.in_(seqs))
    if until is not None:
        query = query.where(Confirmation.confirmed_at <= until)
    latest = dict(db.session.execute(query.group_by(Confirmation.seq)).all()) if seqs else {}
    return {row.seq: max(row.published_at, latest.get(row.seq) or row.published_at) for row in versions_}


def section_summary(version: Version | None, confirmed: dict[int, datetime]) -> dict | None:
    """One section's entry in a country listing; None where nothing was ever notified."""
    if version is None:
        return None
    return {
        "version": version.version,
        "seq": version.seq,
        "published_at": rfc3339(version.published_at),
        "last_confirmed": rfc3339(confirmed[version.seq]),
        "withdrawn": version.withdrawn,
    }


@dataclass(frozen=True)
class CountryState:
    """What one country has notified now: its current version of each section, if any."""

    country: reference.Country
    sections: dict[str, Version | None]
    confirmed: dict[int, datetime]

    @property
    def notified(self) -> bool:
        return any(row is not None for row in self.sections.values())


def country_states(*, country: str | None = None) -> list[CountryState]:
    """Every country (or one), with its current sections."""
    heads = current_versions(country=country)
    confirmed = last_confirmed(list(heads.values()))
    codes = [country] if country is not None else list(reference.countries())
    return [
        CountryState(reference.country(code), {section: heads.get((code, section)) for section in SECTIONS}, confirmed)
        for code in codes
    ]


def changes_after(after: int, limit: int) -> list[Version]:
    """Versions with seq greater than `after`, in seq order (keyset pagination)."""
    return list(db.session.scalars(select(Version).where(Version.seq > after).order_by(Version.seq).limit(limit)))


def all_versions(batch: int = 500):
    """Every version in seq order, fetched in batches so memory stays flat."""
    after = 0
    while True:
        rows = changes_after(after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].seq
        db.session.expunge_all()


def head(*, until: datetime | None = None) -> Version | None:
    """The version with the highest seq (published by `until`): the head of the chain.

    published_at never decreases along seq (docs/api.md), so the newest version published by
    `until` is the last one in the index on published_at up to it: one step down that index.
    """
    if until is None:
        return db.session.scalar(select(Version).order_by(Version.seq.desc()).limit(1))
    return db.session.scalar(select(Version).where(Version.published_at <= until)
                             .order_by(Version.published_at.desc(), Version.seq.desc()).limit(1))


def confirmations(*, until: datetime | None = None) -> list[tuple[int, datetime]]:
    """Every confirmation (made by `until`) as (seq, confirmed_at), in that order; who confirmed stays private."""
    query = select(Confirmation.seq, Confirmation.confirmed_at).order_by(Confirmation.seq, Confirmation.confirmed_at)
    return [tuple(row) for row in db.session.execute(query if until is None else query.where(Confirmation.confirmed_at <= until))]


def confirmation_count(*, until: datetime | None = None) -> tuple[int, datetime | None]:
    """How many confirmations were made (by `until`), and when the latest was: what an export's state says of them."""
    query = select(func.count(), func.max(Confirmation.confirmed_at))
    return tuple(db.session.execute(query if until is None else query.where(Confirmation.confirmed_at <= until)).one())


def active_bans() -> dict[str, list[str]]:
    """Substance key → countries whose current import-bans section bans it (anywhere in the country)."""
    banned: dict[str, set[str]] = {}
    for (country, _), row in current_versions(section="import-bans").items():
        if row.withdrawn:
            continue
        for ban in document(row)["bans"]:
            banned.setdefault(ban["substance"], set()).add(country)
    return {key: sorted(codes) for key, codes in banned.items()}


DEMO_SETTING = "demo"  # set, with a note of what the data is, when demonstration data was loaded


def is_demo() -> bool:
    """Whether demonstration data was loaded into this registry."""
    return db.session.get(Setting, DEMO_SETTING) is not None


def demo_note() -> str | None:
    """What the demonstration data is, when this registry holds it."""
    setting = db.session.get(Setting, DEMO_SETTING)
    return setting.value if setting is not None else None


@dataclass(frozen=True)
class Selection:
    """Every version, or those of one country, of one section, or whose changes touch one substance."""

    country: str | None = None
    section: str | None = None
    substance: str | None = None

    @property
    def criterion(self) -> tuple[str, object] | None:
        """(field, value) of the one criterion set, or None for every version."""
        return next(((name, getattr(self, name)) for name in ("country", "section", "substance") if getattr(self, name) is not None), None)

    @property
    def everything(self) -> bool:
        return self.criterion is None

    @property
    def seq(self):
        """The column to order by: for a substance, the one its index on (substance, seq) holds."""
        return VersionSubstance.seq if self.substance is not None else Version.seq

    def where(self, query):
        """`query` (over versions) narrowed to this selection."""
        if self.country is not None:
            query = query.where(Version.country == self.country)
        if self.section is not None:
            query = query.where(Version.section == self.section)
        if self.substance is not None:
            query = query.join(VersionSubstance, VersionSubstance.seq == Version.seq).where(VersionSubstance.substance == self.substance)
        return query


def selection_head(selection: Selection):
    """The newest version of a selection as a row (seq, hash, published_at), or None.

    One indexed query, built once per kind of selection and run outside the ORM
    session (db.single_read): it is all that polling a feed costs.
    """
    with single_read() as connection:
        return connection.execute(*head_statement(selection)).first()


def head_statement(selection: Selection) -> tuple:
    """(statement, parameters) of the query for a selection's newest version: seq, hash, published_at."""
    name, value = selection.criterion or (None, None)
    return _head_query(name), ({"value": value} if name else {})


# What every public answer built from the registry's current state depends on, read in one
# statement of indexed lookups: the head of the chain (its seq, and its hash, which commits to
# every version before it), the newest confirmation, the confirmation cycle the secretariat
# sets, and whether demonstration data is loaded (`registry demo` notes it after its last
# publication). While these are unchanged, so is every current section, its confirmations and
# its due date; a process may keep what it built from them (registry/api/memory.py,
# registry/check/notifications.py). Only the passing of a due date changes an answer without
# changing them, so what is kept also says until when it holds.
CYCLE_SETTING = "confirmation_cycle_months"
STATE = select(
    select(Version.seq).order_by(Version.seq.desc()).limit(1).scalar_subquery(),
    select(Version.hash).order_by(Version.seq.desc()).limit(1).scalar_subquery(),
    select(func.max(Confirmation.id)).scalar_subquery(),
    select(Setting.value).where(Setting.key == CYCLE_SETTING).scalar_subquery(),
    select(Setting.key).where(Setting.key == DEMO_SETTING).scalar_subquery(),
)


# The hash of the version with a given seq: whether a document rendered from it still
# belongs to the history the registry holds (registry/feeds/polls.py).
VERSION_HASH = select(Version.hash).where(Version.seq == bindparam("seq"))


@lru_cache(maxsize=None)
def _head_query(criterion: str | None):
    template = Selection(**{criterion: bindparam("value")}) if criterion else Selection()
    return template.where(select(Version.seq, Version.hash, Version.published_at)).order_by(template.seq.desc()).limit(1)


def selection_count(selection: Selection, until_seq: int) -> int:
    """How many versions of a selection have a seq up to `until_seq`."""
    if selection.everything:
        return until_seq  # seq numbers every version, without gaps
    return db.session.scalar(selection.where(select(func.count()).select_from(Version)).where(selection.seq <= until_seq))


def selection_newest(selection: Selection, count: int, until_seq: int) -> list[Version]:
    """The newest `count` versions of a selection with a seq up to `until_seq`, in seq order."""
    query = selection.where(select(Version)).where(selection.seq <= until_seq).order_by(selection.seq.desc()).limit(count)
    return list(reversed(db.session.scalars(query).all()))


def selection_range(selection: Selection, first: int, count: int) -> list[Version]:
    """The versions at positions first … first+count-1 (from 1) of a selection, in seq order."""
    if selection.everything:
        return list(db.session.scalars(select(Version).where(Version.seq.between(first, first + count - 1)).order_by(Version.seq)))
    return list(db.session.scalars(selection.where(select(Version)).order_by(selection.seq).offset(first - 1).limit(count)))
