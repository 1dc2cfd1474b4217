"""The secretariat's view (/console/secretariat): what needs its attention, country by country.

Countries that never notified, sections overdue or soon due for confirmation, drafts awaiting
approval — one list of rows, filtered by country and by state, shown on the page and given
as CSV (/console/secretariat.csv) with the same filters and the same rows — then the recent
activity (authority names and actions, never an address), how push delivery keeps up, and
the confirmation cycle, which the secretariat sets here.
"""
import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from .. import history, publishing, reference
from ..db import db, rfc3339, utcnow
from ..delivery import status
from ..documents import SECTIONS
from ..i18n import by_country_name
from ..models import Account, AuditRecord
from ..workflow import drafts, reconfirmation
from .views import _secretariat_only, bp, signed_in

STATES = ("never-notified", "overdue", "due-soon", "awaiting-approval")
STATE_LABELS = {
    "never-notified": _l("Never notified"),
    "overdue": _l("Overdue for confirmation"),
    "due-soon": _l("Due for confirmation within 30 days"),
    "awaiting-approval": _l("Drafts awaiting approval"),
}
ACTION_LABELS = {
    "publish": _l("published"),
    "withdraw": _l("withdrew"),
    "confirm": _l("confirmed"),
    "draft-save": _l("saved a draft"),
    "draft-discard": _l("discarded a draft"),
    "draft-submit": _l("submitted a draft for approval"),
    "draft-unsubmit": _l("took back a submitted draft"),
    "draft-return": _l("returned a draft"),
    "draft-rebase": _l("brought a draft up to date"),
    "approval-policy": _l("changed whether approval is required"),
    "confirmation-cycle": _l("set the confirmation cycle"),
    "question-message": _l("wrote in a question's thread"),
    "question-public": _l("made a question public"),
    "refusals-summary": _l("writes without a valid token"),
    "account-invite": _l("invited an account"),
    "account-new-link": _l("sent a new invitation link"),
    "invitation-accept": _l("set a password through an invitation"),
    "account-admin": _l("made an account administrator"),
    "account-not-admin": _l("ended an account's administrator role"),
    "account-disable": _l("disabled an account"),
    "account-enable": _l("enabled an account"),
    "token-revoke": _l("revoked a token"),
}
ACTIVITY_SHOWN = 50
CSV_COLUMNS = ("state", "country", "country_name", "section", "version", "last_confirmed", "confirmation_due",
               "months_since_confirmed", "submitted_at", "submitted_by")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")  # a spreadsheet runs such a cell (docs/exports.md)


@dataclass(frozen=True)
class Row:
    """Something the secretariat should look at: a country, or one of its sections, in one state."""

    state: str
    country: str
    section: str | None = None
    version: int | None = None
    confirmed_at: datetime | None = None
    due: datetime | None = None
    months_since: int | None = None
    submitted_at: datetime | None = None
    submitted_by: str | None = None  # the submitting authority's name


@dataclass(frozen=True)
class Activity:
    """One audit record as the secretariat reads it: no address, no e-mail, no detail."""

    at: datetime
    authority: str | None  # None: a write without an account
    action: str
    country: str | None
    section: str | None
    refused: bool


def rows(country: str | None, state: str | None) -> list[Row]:
    """The rows of the view, by state (in STATES' order), country and section."""
    found = []
    if state in (None, "never-notified"):
        found += [Row("never-notified", item.country.code) for item in history.country_states(country=country)
                  if not item.notified]
    if state in (None, "overdue", "due-soon"):
        now = utcnow()
        for (code, section), (version, place) in reconfirmation.standings(now=now, country=country).items():
            kind = "overdue" if place.overdue else "due-soon" if place.due - now <= reconfirmation.REMIND_BEFORE else None
            if kind and state in (None, kind):
                found.append(Row(kind, code, section, version.version, place.confirmed_at, place.due, place.months_since))
    if state in (None, "awaiting-approval"):
        for draft in drafts.awaiting_approval():
            if country in (None, draft.country):
                submitter = db.session.get(Account, draft.submitted_by)
                found.append(Row("awaiting-approval", draft.country, draft.section, submitted_at=draft.submitted_at,
                                 submitted_by=submitter.authority_name if submitter else None))
    return sorted(found, key=lambda row: (STATES.index(row.state), row.country,
                                          SECTIONS.index(row.section) if row.section else -1))


def activity(country: str | None, limit: int = ACTIVITY_SHOWN) -> list[Activity]:
    """The newest audit records, of one country or of all."""
    query = (select(AuditRecord, Account.authority_name).outerjoin(Account, AuditRecord.account_id == Account.id)
             .order_by(AuditRecord.id.desc()).limit(limit))
    if country:
        query = query.where(AuditRecord.country == country)
    return [Activity(record.at, authority, record.action, record.country or None, record.section or None,
                     record.outcome != "ok") for record, authority in db.session.execute(query)]


def _filters() -> tuple[str | None, str | None]:
    """The country and state asked for (None: all); 400 for one that does not exist."""
    country = request.args.get("country", "").strip().upper() or None
    state = request.args.get("state", "").strip() or None
    if country is not None and reference.country(country) is None:
        abort(400, description=_("%(code)s is not a country code of ISO 3166-1.", code=country))
    if state is not None and state not in STATES:
        abort(400, description=_("Choose the state from the list."))
    return country, state


@bp.get("/secretariat")
@signed_in
def secretariat():
    account = _secretariat_only()
    country, state = _filters()
    found = rows(country, state)
    grouped = {kind: [row for row in found if row.state == kind] for kind in STATES if state in (None, kind)}
    delivery = status.status()
    return render_template(
        "console/secretariat.html", account=account, country=country, state=state, states=STATES, rows=grouped,
        STATE_LABELS=STATE_LABELS, ACTION_LABELS=ACTION_LABELS,
        activity=activity(country), delivery=delivery.summary, failing=delivery.failing,
        choices=by_country_name(reference.countries()), cycle=reconfirmation.cycle_months(),
        cycle_range=reconfirmation.CYCLE_RANGE)


@bp.get("/secretariat.csv")
@signed_in
def secretariat_csv():
    """The view's rows as CSV, with the page's filters: one row per country or section and state."""
    _secretariat_only()
    country, state = _filters()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS)
    for row in rows(country, state):
        writer.writerow([row.state, row.country, reference.country(row.country).name("en"), row.section or "",
                         _number(row.version), _moment(row.confirmed_at), _moment(row.due), _number(row.months_since),
                         _moment(row.submitted_at), _text(row.submitted_by)])
    filename = f"registry-secretariat-{utcnow():%Y-%m-%d}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _moment(value: datetime | None) -> str:
    return rfc3339(value) if value else ""


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _text(value: str | None) -> str:
    """A name as a cell no spreadsheet runs as a formula: one starting like one gets a leading ' (as in the exports)."""
    return "" if value is None else "'" + value if value.startswith(FORMULA_STARTS) else value


@bp.post("/secretariat/cycle")
@signed_in
def confirmation_cycle():
    """The secretariat sets how long a section stays current without being confirmed or republished."""
    account = _secretariat_only()
    months = request.form.get("months", "").strip()
    try:
        reconfirmation.set_cycle(account, int(months) if months.isdigit() else 0)
    except publishing.Invalid:
        low, high = reconfirmation.CYCLE_RANGE
        flash(_("The cycle is a whole number of months from %(low)s to %(high)s.", low=low, high=high), "error")
    else:
        flash(_("The confirmation cycle is now %(months)s months.", months=int(months)), "success")
    return redirect(url_for("console.secretariat"))
