"""The read model: current state and history of every notification.

Everything that shows a version (API, feeds, exports, pages) builds it with the
functions here, so a version has one public shape. Dictionaries are built field
by field, so that changing a model cannot change the public format by accident.
"""
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from . import reference
from .db import rfc3339
from .documents import SECTIONS
from .extensions import db
from .models import Confirmation, Setting, Version


def meta(version: Version) -> dict:
    """A version's `meta` (CONTRACT, "JSON API")."""
    return {
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


def document(version: Version):
    """The version's document as published, or None for a withdrawal."""
    return None if version.document is None else json.loads(version.document)


def resource(version: Version) -> dict:
    """`{"meta": …, "document": …}`: one version as the API and changes.jsonl give it."""
    return {"meta": meta(version), "document": document(version)}


def chain_fields(version: Version) -> dict:
    """The fields the hash chain covers, as published."""
    return {
        "country": version.country,
        "section": version.section,
        "version": version.version,
        "seq": version.seq,
        "published_at": rfc3339(version.published_at),
        "withdrawn": version.withdrawn,
        "document": document(version),
        "prev_hash": version.prev_hash,
        "hash": version.hash,
    }


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


def current_versions(*, country: str | None = None, section: str | None = None, until_seq: int | None = None,
                     until: datetime | None = None) -> dict[tuple[str, str], Version]:
    """The newest version of every (country, section), optionally as it stood at a seq or moment."""
    newest = select(Version.country, Version.section, func.max(Version.version).label("version"))
    if country is not None:
        newest = newest.where(Version.country == country)
    if section is not None:
        newest = newest.where(Version.section == section)
    if until_seq is not None:
        newest = newest.where(Version.seq <= until_seq)
    if until is not None:
        newest = newest.where(Version.published_at <= until)
    newest = newest.group_by(Version.country, Version.section).subquery()
    rows = db.session.scalars(
        select(Version).join(
            newest,
            and_(Version.country == newest.c.country, Version.section == newest.c.section, Version.version == newest.c.version),
        )
    )
    return {(row.country, row.section): row for row in rows}


def last_confirmed(versions_: list[Version]) -> dict[int, datetime]:
    """When each version was last confirmed (its publication counts as the first confirmation)."""
    seqs = [row.seq for row in versions_]
    latest = dict(
        db.session.execute(
            select(Confirmation.seq, func.max(Confirmation.confirmed_at)).where(Confirmation.seq.in_(seqs)).group_by(Confirmation.seq)
        ).all()
    ) if seqs else {}
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


def head() -> Version | None:
    """The version with the highest seq: the head of the chain."""
    return db.session.scalar(select(Version).order_by(Version.seq.desc()).limit(1))


def active_bans() -> dict[str, list[str]]:
    """Substance key → countries whose current import-bans section bans it (anywhere in the country)."""
    banned: dict[str, set[str]] = {}
    for (country, _), row in current_versions(section="import-bans").items():
        if row.withdrawn:
            continue
        for ban in document(row)["bans"]:
            banned.setdefault(ban["substance"], set()).add(country)
    return {key: sorted(codes) for key, codes in banned.items()}


def is_demo() -> bool:
    """Whether demonstration data was loaded into this registry."""
    return db.session.get(Setting, "demo") is not None
