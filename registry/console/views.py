"""The authority console (/console/): sign in, edit, preview, publish, confirm, withdraw, API tokens.

Every write goes through the same services as the API (publishing, accounts), so a
publication from the console is the same publication as one sent with a token.
Sign-in uses Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure when
configured); every form carries a CSRF token (Flask-WTF); failed sign-ins are
throttled per account and per address (sign_in.py).
"""
import json
import time
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from .. import accounts, changes, history, publishing, reference
from ..db import db
from ..documents import BANNABLE_CLASSES, validate_document
from ..http import UnreadableBody, error_response, parse_json
from ..i18n import country_name
from ..models import Account
from ..publishing import Actor, Precondition
from . import forms, sign_in

bp = Blueprint("console", __name__, url_prefix="/console")

SIGNED_IN_FOR_S = 12 * 3600  # 12 hours: a working day, then sign in again
EMAIL_MAX = 320
PASSWORD_MAX = 1024  # argon2 hashes any length; refuse absurd ones before hashing


def signed_in_account() -> Account | None:
    """The account signed in on this session, if the session is still fresh."""
    if "account" not in g:
        account_id, since = session.get("account_id"), session.get("signed_in_at", 0)
        fresh = isinstance(since, int) and 0 <= time.time() - since < SIGNED_IN_FOR_S
        g.account = db.session.get(Account, account_id) if isinstance(account_id, int) and fresh else None
    return g.account


def signed_in(view):
    """Send visitors who have not signed in to the sign-in page, and back afterwards."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_account() is None:
            return redirect(url_for("console.login", next=request.path))
        return view(*args, **kwargs)

    return wrapper


def _may_edit(country: str) -> Account:
    """The signed-in account, if it may write this country's notification: 404 or 403 otherwise."""
    account = signed_in_account()
    if reference.country(country) is None:
        abort(404, description=_("%(code)s is not a country code of ISO 3166-1.", code=country))
    if not account.may_write(country):
        abort(403, description=_("This account may edit only the notification of %(country)s.", country=country_name(account.country)))
    return account


def _actor(account: Account) -> Actor:
    return Actor(account, None, request.remote_addr)


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never a redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_page = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/login.html", email="", next_page=next_page)
    email = request.form.get("email", "")[:EMAIL_MAX]
    password = request.form.get("password", "")[:PASSWORD_MAX]
    if sign_in.blocked(email, request.remote_addr):
        message = _("Too many failed sign-ins for this account or from this address. Wait %(minutes)s minutes, then try again.",
                    minutes=int(sign_in.WINDOW.total_seconds() // 60))
        return render_template("console/login.html", email=email, next_page=next_page, error=message), 429
    account = accounts.find_account(email)
    if not accounts.check_password(account, password):
        sign_in.failed(email, request.remote_addr)
        return render_template("console/login.html", email=email, next_page=next_page,
                               error=_("The e-mail address or the password is not right."))
    sign_in.succeeded(email)
    # A new session at sign-in: nothing from before (not even the CSRF token) carries over.
    session.clear()
    session["account_id"] = account.id
    session["signed_in_at"] = int(time.time())
    return redirect(next_page or url_for("console.home"))


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("console.login"))


@bp.get("/")
@signed_in
def home():
    account = signed_in_account()
    asked = request.args.get("country", "").strip().upper()
    if asked:
        return redirect(url_for("console.country", country=asked))
    if not account.secretariat:
        return redirect(url_for("console.country", country=account.country))
    notified = [state.country.code for state in history.country_states() if state.notified]
    return render_template("console/home.html", account=account, notified=sorted(notified, key=country_name),
                           choices=sorted(reference.countries(), key=country_name))


@bp.get("/<country>/")
@signed_in
def country(country):
    account = _may_edit(country)
    state = history.country_states(country=country)[0]
    return render_template("console/country.html", account=account, place=reference.country(country), state=state)


def _editor(country: str, section: str, draft: forms.Draft, etag: str, *, status: int = 200):
    current = history.current(country, section)
    return render_template(
        "console/edit.html",
        account=signed_in_account(),
        place=reference.country(country),
        section=section,
        draft=draft,
        etag=etag,
        current=current,
        checks_order=lambda path, ticked: forms.checks_order(section, path, ticked),
        substances=reference.substances(),
        classes=reference.SCHEDULE_CLASSES,
        country_codes=list(reference.countries()),
        bannable=[item for item in reference.substances().values() if set(item.schedules) & set(BANNABLE_CLASSES)],
    ), status


def _posted_document():
    try:
        document = parse_json(request.form.get("document", ""))
    except UnreadableBody:
        raise BadRequest(_("The form was damaged in transit; open the editor again.")) from None
    if not isinstance(document, dict):
        raise BadRequest(_("The form was damaged in transit; open the editor again."))
    return document


def _published_since(country: str, section: str, etag: str) -> list:
    """The versions published after the one the editor started from (empty when it is still current)."""
    rows = history.versions(country, section)
    if not etag:
        return rows
    started = next((row.version for row in rows if row.hash == etag), 0)
    return [row for row in rows if row.version > started]


@bp.route("/<country>/<section:section>", methods=["GET", "POST"])
@signed_in
def edit(country, section):
    account = _may_edit(country)
    current = history.current(country, section)
    if request.method == "GET":
        published = None if current is None or current.withdrawn else history.document(current)
        return _editor(country, section, forms.from_document(section, published), current.hash if current else "")

    etag = request.form.get("etag", "")
    action = request.form.get("action", "preview")
    if action == "publish":
        return _publish(account, country, section, _posted_document(), etag)
    if action == "edit":
        return _editor(country, section, forms.from_document(section, _posted_document()), etag)

    draft = forms.from_form(section, request.form)
    verb, _sep, path = action.partition(":")
    if verb == "add":
        forms.add_row(draft, path)
        return _editor(country, section, draft, etag)
    if verb == "remove":
        forms.remove_row(draft, path)
        return _editor(country, section, draft, etag)

    document = draft.document()
    problems = validate_document(section, document)
    if problems:
        forms.attach_errors(draft, problems)
        return _editor(country, section, draft, etag, status=422)
    since = _published_since(country, section, etag)
    if since:
        return _conflict(country, section, document, since)
    before = None if current is None or current.withdrawn else history.document(current)
    return render_template(
        "console/preview.html",
        account=account,
        place=reference.country(country),
        section=section,
        document=document,
        document_json=json.dumps(document, ensure_ascii=False, sort_keys=True),
        etag=etag,
        differences=changes.describe(section, before, document).sentences,
        first=current is None,
    )


def _conflict(country: str, section: str, document: dict, since: list):
    """Someone published after this editor was opened: explain, show what changed, store nothing."""
    newest = since[-1]
    before = None if newest.withdrawn else history.document(newest)
    return render_template(
        "console/conflict.html",
        account=signed_in_account(),
        place=reference.country(country),
        section=section,
        since=since,
        newest=newest,
        document_json=json.dumps(document, ensure_ascii=False, sort_keys=True),
        differences=changes.describe(section, before, document).sentences,
    ), 409


def _publish(account: Account, country: str, section: str, document: dict, etag: str):
    precondition = Precondition(if_match=frozenset({etag})) if etag else Precondition(if_none_match_any=True)
    try:
        row = publishing.publish(_actor(account), country, section, document, precondition)
    except publishing.StalePrecondition:
        return _conflict(country, section, document, _published_since(country, section, etag))
    except publishing.Invalid as refusal:
        draft = forms.from_document(section, document)
        forms.attach_errors(draft, refusal.errors or {})
        return _editor(country, section, draft, etag, status=422)
    flash(_("Version %(number)s was published.", number=row.version), "success")
    return redirect(url_for("pages.version", country=country, section=section, number=row.version))


@bp.post("/<country>/<section:section>/confirm")
@signed_in
def confirm(country, section):
    account = _may_edit(country)
    try:
        publishing.confirm(_actor(account), country, section)
    except publishing.PublishingError as refusal:
        flash(refusal.message, "error")
    else:
        flash(_("Confirmed: the current version is still correct."), "success")
    return redirect(url_for("console.country", country=country))


@bp.route("/<country>/<section:section>/withdraw", methods=["GET", "POST"])
@signed_in
def withdraw(country, section):
    account = _may_edit(country)
    current = history.current(country, section)
    if current is None or current.withdrawn:
        flash(_("There is nothing in force to withdraw in this section."), "error")
        return redirect(url_for("console.country", country=country))
    if request.method == "GET":
        return render_template("console/withdraw.html", account=account, place=reference.country(country),
                               section=section, current=current)
    etag = request.form.get("etag", "")
    try:
        row = publishing.withdraw(_actor(account), country, section, Precondition(if_match=frozenset({etag})))
    except publishing.StalePrecondition:
        flash(_("Someone published a new version meanwhile, so nothing was withdrawn. Check the current version first."), "error")
        return redirect(url_for("console.withdraw", country=country, section=section))
    except publishing.PublishingError as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("console.country", country=country))
    flash(_("The section was withdrawn (version %(number)s).", number=row.version), "success")
    return redirect(url_for("console.country", country=country))


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    account = signed_in_account()
    created = None
    if request.method == "POST":
        if request.form.get("action") == "revoke":
            try:
                row = accounts.revoke_token(int(request.form.get("token", "0")), account=account)
            except (ValueError, accounts.AccountError):
                flash(_("There is no such token."), "error")
            else:
                flash(_("Token %(name)s is revoked.", name=row.name), "success")
            return redirect(url_for("console.account"))
        name = request.form.get("name", "").strip()[:100] or "token"
        _row, created = accounts.add_token(account, name)
        db.session.refresh(account)
    tokens = sorted(account.tokens, key=lambda row: row.id, reverse=True)
    return render_template("console/account.html", account=account, tokens=tokens, created=created)


@bp.after_request
def private(response):
    # Console pages show drafts and, once, new tokens: no cache may keep them.
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app) -> None:
    """Bind the console, and explain a refused CSRF token (on any form of the registry) in the visitor's language."""
    app.register_blueprint(bp)

    @app.errorhandler(CSRFError)
    def stale_form(error):
        return error_response(400, _("This form was not sent from the page the registry gave you, or that page is too old "
                                     "(its CSRF token is missing or wrong). Go back, reload the page and send the form again."))
