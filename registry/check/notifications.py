"""What the countries on a trip notified: the current version of each section, as the check reads them.

A check reads a few countries' current sections, and their documents are parsed JSON. The
process keeps every country's current sections, parsed, in a Snapshot of the registry's state
(history.STATE: head seq and hash, newest confirmation, confirmation cycle, and whether the
registry holds demonstration data, which the answer says). Each check proves the snapshot
current with that one statement of indexed lookups on a DB-API connection (db.DirectReads);
while it holds, a check reads nothing else and touches no ORM. When the state moved, the
snapshot is brought up to it from what changed — the versions after its head, the
confirmations after its newest — or read whole when its head is no longer in the history (a
database rebuilt with `registry restore`). Where a section stands in its cycle depends on the
clock too, so that is worked out for each check from the kept confirmation date.

When the statement fails, the check reads the trip's countries with the ORM as each request
used to, so that a database error is answered as everywhere else (503).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Mapping

from flask import current_app
from sqlalchemy import select

from .. import history
from ..db import DirectReads, db, direct_reads
from ..models import Confirmation, Version
from ..workflow import reconfirmation

# Past this many new versions, reading the current sections afresh is cheaper than reading every new version.
CATCH_UP_MAX = 1000


@dataclass(frozen=True)
class Notified:
    """The current version of one section of a country's notification; `document` is None when withdrawn."""

    country: str
    section: str
    version: int
    seq: int
    document: Mapping[str, Any] | None
    standing: reconfirmation.Standing | None = None  # where it stands in its confirmation cycle, when known

    @property
    def overdue(self) -> bool:
        return self.standing is not None and self.standing.overdue

    @cached_property
    def source(self) -> str:
        return f"{self.country} {self.section} version {self.version}"

    def as_json(self) -> dict:
        return {"country": self.country, "section": self.section, "version": self.version, "seq": self.seq}


Notifications = Mapping[str, Mapping[str, Notified]]  # country → section → current version


def live(notified: Notifications, country: str, section: str) -> Notified | None:
    """The country's current version of the section, unless it was withdrawn."""
    found = notified.get(country, {}).get(section)
    return found if found is not None and found.document is not None else None


def current_documents(countries) -> dict[str, dict[str, Notified]]:
    """The current version of every section of these countries, as one state of the registry,
    each with where it stands in its confirmation cycle now."""
    return current().documents(countries)


def current(app=None) -> Snapshot | Unkept:
    """The registry's current sections: the application's snapshot, proven current, or read by the ORM
    when the state cannot be read directly."""
    app = app or current_app._get_current_object()
    kept = app.extensions.get("check_notifications")
    if kept is None:
        kept = app.extensions.setdefault("check_notifications", Kept(app))
    try:
        return kept.snapshot()
    except DirectReads.Failed:
        return Unkept()


# -- what a process keeps -----------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A current section as kept: the version's number and seq, its parsed document (None when withdrawn),
    and its publication or last confirmation, whichever is later."""

    version: int
    seq: int
    document: Mapping[str, Any] | None
    confirmed_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Every country's current sections at one state of the registry (history.STATE's row)."""

    state: tuple
    sections: Mapping[str, Mapping[str, Section]]  # country → section → current version
    # The countries' sections with their standing at one second (the clock's resolution), as the checks
    # within that second all see them: (that second, country → section → Notified).
    _at_second: list = field(default_factory=lambda: [(None, {})], compare=False, repr=False)

    @property
    def seq(self) -> int | None:
        return self.state[0]

    @property
    def confirmation(self) -> int:
        return self.state[2] or 0

    @property
    def months(self) -> int:
        """The confirmation cycle the secretariat set (reconfirmation.cycle_months)."""
        return int(self.state[3]) if self.state[3] is not None else reconfirmation.DEFAULT_CYCLE_MONTHS

    @property
    def demo(self) -> bool:
        """Whether demonstration data was loaded (history.is_demo)."""
        return self.state[4] is not None

    def documents(self, countries, now: datetime | None = None) -> dict[str, dict[str, Notified]]:
        """The current sections of these countries, each with where it stands in its cycle `now`."""
        now, months = now or reconfirmation.utcnow(), self.months  # the clock the cycle is counted by
        second, made = self._at_second[0]
        if second != now:
            made = {}
            self._at_second[0] = (now, made)
        found: dict[str, dict[str, Notified]] = {}
        for country in countries:
            notified = made.get(country)
            if notified is None:
                kept = self.sections.get(country)
                if not kept:
                    continue
                notified = made[country] = {name: _notified(country, name, section, now, months)
                                            for name, section in kept.items()}
            found[country] = notified
        return found


def _notified(country: str, name: str, section: Section, now: datetime, months: int) -> Notified:
    standing = None if section.document is None else reconfirmation.standing(section.confirmed_at, now=now, months=months)
    return Notified(country, name, section.version, section.seq, section.document, standing)


class Unkept:
    """The trip's countries read with the ORM, as each check did before the snapshot; for when history.STATE cannot be read."""

    def documents(self, countries) -> dict[str, dict[str, Notified]]:
        heads = history.current_versions(countries=countries)
        confirmed = history.last_confirmed(list(heads.values()))
        months = reconfirmation.cycle_months()
        found: dict[str, dict[str, Notified]] = {}
        for (country, section), row in heads.items():
            standing = None if row.withdrawn else reconfirmation.standing(confirmed[row.seq], months=months)
            found.setdefault(country, {})[section] = Notified(country, section, row.version, row.seq, history.document(row), standing)
        return found

    @property
    def demo(self) -> bool:
        return history.is_demo()


class Kept:
    """An application's snapshot, and how it is brought up to the registry's state.

    Threads share it: a snapshot is never changed once made, only replaced, and one
    thread at a time replaces it.
    """

    def __init__(self, app):
        self.app = app
        self.reads = direct_reads(app)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """The snapshot of the registry's state now; DirectReads.Failed when the state cannot be read."""
        state = self.reads.first(history.STATE)
        kept = self._snapshot
        if kept is not None and kept.state == state:
            return kept
        with self._lock:
            # Read again once alone: another thread may have moved the snapshot, and it must
            # not go back to an older state than the one this check saw.
            state = self.reads.first(history.STATE)
            kept = self._snapshot
            if kept is None or kept.state != state:
                with self.app.app_context():  # a session of its own, which sees at least `state`
                    kept = self._snapshot = _brought_up(kept, state)
            return kept


def _brought_up(kept: Snapshot | None, state: tuple) -> Snapshot:
    """The snapshot at `state`: `kept` with what changed since, or read whole."""
    seq, confirmation = state[0], state[2] or 0
    if kept is None or kept.seq is None or seq is None or seq < kept.seq or confirmation < kept.confirmation \
            or seq - kept.seq > CATCH_UP_MAX:
        return _read_whole(state)
    rows = db.session.execute(
        select(Version.seq, Version.country, Version.section, Version.version, Version.hash, Version.document,
               Version.published_at)
        .where(Version.seq >= kept.seq, Version.seq <= seq).order_by(Version.seq)).all()
    if not rows or rows[0].seq != kept.seq or rows[0].hash != kept.state[1]:
        return _read_whole(state)  # the history the snapshot was made from is gone
    sections = {country: dict(found) for country, found in kept.sections.items()}
    for row in {(row.country, row.section): row for row in rows[1:]}.values():  # the newest of each section
        sections.setdefault(row.country, {})[row.section] = Section(
            row.version, row.seq, history.document(row), row.published_at)
    by_seq = {section.seq: (country, name) for country, found in sections.items() for name, section in found.items()}
    confirmed = db.session.execute(
        select(Confirmation.seq, Confirmation.confirmed_at)
        .where(Confirmation.id > kept.confirmation, Confirmation.id <= confirmation)).all()
    for row in confirmed:
        if row.seq in by_seq:  # a confirmation of a version since replaced changes nothing
            country, name = by_seq[row.seq]
            section = sections[country][name]
            if row.confirmed_at > section.confirmed_at:
                sections[country][name] = Section(section.version, section.seq, section.document, row.confirmed_at)
    return Snapshot(state, sections)


def _read_whole(state: tuple) -> Snapshot:
    """Every current section as of `state`, read afresh."""
    heads = history.current_versions(until_seq=state[0]) if state[0] is not None else {}
    confirmed = history.last_confirmed(list(heads.values()))
    sections: dict[str, dict[str, Section]] = {}
    for (country, name), row in heads.items():
        sections.setdefault(country, {})[name] = Section(row.version, row.seq, history.document(row), confirmed[row.seq])
    return Snapshot(state, sections)
