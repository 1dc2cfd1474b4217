"""What the countries on a trip notified: the current version of each section, as the check reads them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .. import history
from ..workflow import reconfirmation


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

    @property
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
    """The current version of every section of these countries, read in one statement so they agree,
    each with where it stands in its confirmation cycle."""
    heads = history.current_versions(countries=countries)
    confirmed = history.last_confirmed(list(heads.values()))
    months = reconfirmation.cycle_months()
    found: dict[str, dict[str, Notified]] = {}
    for (country, section), row in heads.items():
        standing = None if row.withdrawn else reconfirmation.standing(confirmed[row.seq], months=months)
        found.setdefault(country, {})[section] = Notified(country, section, row.version, row.seq, history.document(row), standing)
    return found
