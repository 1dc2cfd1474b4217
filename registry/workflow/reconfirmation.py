"""The confirmation cycle (docs/workflow.md, "Reconfirmation").

A section's information is current when it was published or confirmed within the cycle the
secretariat sets (12 months unless changed). Past it, the section is overdue: its pages, the
API (`meta.confirmation_due`, `meta.overdue`), registry.json and the check's answers say so.
The country's accounts are reminded by e-mail 30 days before the due date and once it has
passed, each reminder once per version (Reminder rows), by the delivery worker's rounds.
"""
import calendar
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache

from sqlalchemy import select

from .. import history, reference
from ..changes import SECTION_PHRASES
from ..db import db, rfc3339, utcnow
from ..models import Account, AuditRecord, Reminder, Setting, Version

log = logging.getLogger(__name__)
CYCLE_SETTING = history.CYCLE_SETTING
DEFAULT_CYCLE_MONTHS = 12
CYCLE_RANGE = (1, 60)
REMIND_BEFORE = timedelta(days=30)


def cycle_months() -> int:
    stored = db.session.get(Setting, CYCLE_SETTING)
    return int(stored.value) if stored is not None else DEFAULT_CYCLE_MONTHS


def set_cycle(account: Account, months: int) -> None:
    """The secretariat sets the cycle, in months."""
    from ..publishing import Invalid, NotAllowed

    if not account.secretariat:
        raise NotAllowed("Only the secretariat sets the confirmation cycle.")
    if not CYCLE_RANGE[0] <= months <= CYCLE_RANGE[1]:
        raise Invalid(f"The cycle is a whole number of months from {CYCLE_RANGE[0]} to {CYCLE_RANGE[1]}.")
    setting = db.session.get(Setting, CYCLE_SETTING) or Setting(key=CYCLE_SETTING)
    setting.value = str(months)
    db.session.add(setting)
    db.session.add(AuditRecord(at=utcnow(), account_id=account.id, action="confirmation-cycle", country="", section="",
                               outcome="ok", status=200, detail=json.dumps({"months": months})))
    db.session.commit()


@lru_cache(maxsize=16384)
def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it has no such day). Kept for the moments met
    last: every check and read works out the due dates of the same current sections again."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def whole_months(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if add_months(start, months) > end else months


@dataclass(frozen=True)
class Standing:
    """Where a current section stands in its cycle."""

    confirmed_at: datetime  # its publication or last confirmation, whichever is later
    due: datetime
    overdue: bool
    months_since: int  # whole months since confirmed_at

    def meta(self) -> dict:
        """The fields the API and registry.json add to a current section's meta."""
        return {"confirmation_due": rfc3339(self.due), "overdue": self.overdue}


def standing(confirmed_at: datetime, *, now: datetime | None = None, months: int | None = None) -> Standing:
    now = now or utcnow()
    due = add_months(confirmed_at, months or cycle_months())
    return Standing(confirmed_at, due, now >= due, whole_months(confirmed_at, now))


def standings(*, now: datetime | None = None, country: str | None = None) -> dict[tuple[str, str], tuple[Version, Standing]]:
    """Every current, not withdrawn section with its standing."""
    heads = {key: row for key, row in history.current_versions(country=country).items() if not row.withdrawn}
    confirmed = history.last_confirmed(list(heads.values()))
    months = cycle_months()
    return {key: (row, standing(confirmed[row.seq], now=now, months=months)) for key, row in heads.items()}


def reminders_due(now: datetime | None = None) -> list[tuple[Version, Standing, str]]:
    """The reminders to send now: "due" within REMIND_BEFORE of the due date, "overdue" after it; each once per version."""
    now = now or utcnow()
    sent = set(db.session.execute(select(Reminder.seq, Reminder.kind)).all())
    found = []
    for row, place in standings(now=now).values():
        kind = "overdue" if place.overdue else "due" if place.due - now <= REMIND_BEFORE else None
        if kind and (row.seq, kind) not in sent:
            found.append((row, place, kind))
    return found


def reminder_message(row: Version, place: Standing, kind: str, addresses: list[str], sender: str, base: str) -> EmailMessage:
    """The reminder to a country's accounts (in English, the registry's working language with its officers)."""
    found = reference.country(row.country)
    country = found.name("en") if found else row.country
    section = SECTION_PHRASES[row.section]
    due = place.due.strftime("%d %B %Y")
    message = EmailMessage()
    message["From"], message["To"] = sender, ", ".join(addresses)
    message["Date"], message["Message-ID"] = formatdate(usegmt=True), make_msgid(domain="registry")
    message["Auto-Submitted"] = "auto-generated"
    if kind == "overdue":
        message["Subject"] = f"Overdue: please confirm {country}'s {section} (due {due})"
        opening = (f"{country}'s {section} (version {row.version}) was last confirmed on {place.confirmed_at:%d %B %Y}, "
                   f"{place.months_since} months ago; it was due for confirmation on {due}. Travellers and other countries "
                   "now see it marked as overdue.")
    else:
        message["Subject"] = f"Reminder: please confirm {country}'s {section} by {due}"
        opening = (f"{country}'s {section} (version {row.version}) was last confirmed on {place.confirmed_at:%d %B %Y}; "
                   f"it is due for confirmation on {due}.")
    message.set_content(f"{opening}\n\nIf it is still correct, confirm it in the console; if not, publish a new version:\n"
                        f"{base}/console/{row.country}/{row.section}\n")
    return message


def send_reminders(send, sender: str, base: str, now: datetime | None = None) -> int:
    """Send the reminders that are due with `send(message)` (delivery.mail.send), recording each; how many were sent.

    A reminder whose sending failed is not recorded, so the next round tries again.
    """
    count = 0
    for row, place, kind in reminders_due(now):
        addresses = list(db.session.scalars(select(Account.email).where(
            Account.country == row.country, Account.disabled.is_(False)).order_by(Account.email)))
        if addresses:
            try:
                send(reminder_message(row, place, kind, addresses, sender, base))
            except Exception as error:  # the SMTP server is down: try again next round
                log.warning("Reminder for %s %s not sent: %s", row.country, row.section, error)
                continue
        db.session.add(Reminder(seq=row.seq, kind=kind, sent_at=utcnow()))
        db.session.commit()
        count += 1
    return count
