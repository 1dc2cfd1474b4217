"""The authority console (/console/): sign in, edit, preview, publish, confirm, withdraw, API tokens, the password,
and for the secretariat how push delivery keeps up (subscriptions).

Every write goes through the same services as the API (publishing, accounts), so a
publication from the console is the same publication as one sent with a token.
Sign-in uses Flask's signed session cookie (HttpOnly, SameSite=Lax, Secure when
configured), which points to a session kept on the server (accounts.start_session):
signing out, "sign out everywhere", a new password or a disabled account end it there,
and it ends by itself after IDLE_FOR_S without a visit or SIGNED_IN_FOR_S in all.
Every form carries a CSRF token (Flask-WTF); sign-ins are throttled (sign_in.py).
"""
import json
import math
import time
from datetime import timedelta
from functools import wraps

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta, gettext as _, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest

from .. import accounts, changes, history, publishing, reference
from ..db import db, utcnow
from ..delivery import status
from ..documents import validate_document
from ..http import UnreadableBody, error_response, parse_json
from ..i18n import by_country_name, country_name
from ..models import Account, Draft
from ..publishing import Actor, Precondition
from ..workflow import drafts
from . import forms, sign_in, wording

bp = Blueprint("console", __name__, url_prefix="/console")

SIGNED_IN_FOR_S = 12 * 3600  # 12 hours: a working day, then sign in again
IDLE_FOR_S = 2 * 3600  # a session unused for two hours ends
EMAIL_MAX = 320
PASSWORD_MAX = 1024  # argon2 hashes any length; refuse absurd ones before hashing
NEXT_MAX = 2000
# What the token form offers; the default first. "never" is a token without expiry.
TOKEN_EXPIRIES = ("90d", "30d", "365d", "never")
CADENCE_LABELS = {"immediate": _l("immediately"), "daily": _l("daily digest"), "weekly": _l("weekly digest")}
STATE_LABELS = {"pending": _l("pending"), "active": _l("active"), "suspended": _l("suspended"), "ended": _l("ended")}


def _session_limits() -> dict:
    return {"lifetime": timedelta(seconds=SIGNED_IN_FOR_S), "idle": timedelta(seconds=IDLE_FOR_S)}


def signed_in_account() -> Account | None:
    """The account signed in on this session, if the session is still live on the server."""
    if "account" not in g:
        account_id, since = session.get("account_id"), session.get("signed_in_at", 0)
        fresh = isinstance(since, int) and 0 <= time.time() - since < SIGNED_IN_FOR_S
        account = accounts.session_account(session.get("session_id"), **_session_limits()) if fresh else None
        g.account = account if account is not None and account.id == account_id else None
    return g.account


def _start_session(account: Account) -> None:
    """A new session at sign-in: nothing from before (not even the CSRF token) carries over."""
    accounts.end_session(session.get("session_id"))  # signing in again in the same browser
    session.clear()
    session["session_id"] = accounts.start_session(account, **_session_limits())
    session["account_id"] = account.id
    session["signed_in_at"] = int(time.time())
    g.pop("account", None)


def signed_in(view):
    """Send visitors who have not signed in to the sign-in page, and back afterwards."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if signed_in_account() is None:
            # With its query: a link such as /console/questions/new?country=FR&… comes back to what it asked for.
            return redirect(url_for("console.login", next=request.full_path.removesuffix("?")))
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


def _secretariat_only() -> Account:
    """The signed-in account, if it is the secretariat's: 403 otherwise."""
    account = signed_in_account()
    if not account.secretariat:
        abort(403, description=_("Only the secretariat may see this page."))
    return account


def _actor(account: Account) -> Actor:
    return Actor(account, None, request.remote_addr)


def _safe_next(target) -> str | None:
    """Only a plain path inside the console: never another site, never a header's worth of control characters.

    Refused (None): anything but printable ASCII, a backslash, "//" anywhere (another
    host, or a path a browser may read as one), a "." or ".." segment, and anything
    not under /console/.
    """
    if not isinstance(target, str) or not target.startswith("/console/") or len(target) > NEXT_MAX:
        return None
    if not all(" " < character <= "~" for character in target) or "\\" in target or "//" in target:
        return None
    path = target.split("?", 1)[0].split("#", 1)[0]
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    return target


def _too_many(attempt: sign_in.Attempt) -> tuple[str, dict]:
    """What a throttled attempt is told, and its Retry-After header."""
    message = _("Too many failed sign-ins for this account or from this address. Wait %(minutes)s minutes, then try again.",
                minutes=math.ceil(attempt.wait_seconds / 60))
    return message, {"Retry-After": str(attempt.wait_seconds)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_page = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/login.html", email="", next_page=next_page)
    email = request.form.get("email", "")[:EMAIL_MAX]
    password = request.form.get("password", "")[:PASSWORD_MAX]
    # Counted before the password is checked, so that concurrent guesses cannot all slip under the limit.
    attempt = sign_in.begin(email, request.remote_addr)
    if attempt.blocked:
        message, headers = _too_many(attempt)
        return render_template("console/login.html", email=email, next_page=next_page, error=message), 429, headers
    account = accounts.find_account(email)
    usable = account if account is not None and not account.disabled else None  # a disabled account is as good as none
    if not accounts.check_password(usable, password):
        return render_template("console/login.html", email=email, next_page=next_page,
                               error=_("The e-mail address or the password is not right."))
    sign_in.succeeded(attempt)
    _start_session(account)
    return redirect(next_page or url_for("console.home"))


@bp.post("/logout")
def logout():
    accounts.end_session(session.get("session_id"))
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
    return render_template("console/home.html", account=account, notified=by_country_name(notified),
                           choices=by_country_name(reference.countries()), awaiting=drafts.awaiting_approval(), email_of=_email)


@bp.get("/<country>/")
@signed_in
def country(country):
    account = _may_edit(country)
    state = history.country_states(country=country)[0]
    return render_template("console/country.html", account=account, place=reference.country(country), state=state,
                           section_drafts={saved.section: saved for saved in drafts.for_country(country)},
                           requires_approval=publishing.requires_approval(country), email_of=_email)


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
        field_label=wording.field_label,
        choices=wording.Choices(country),
        **draft_context(country, section),
    ), status


def draft_context(country: str, section: str) -> dict:
    """What the editor and the draft's page say of the section's draft: who saved it when, what it would change,
    what was published since it began, and whether publishing it needs a second account's approval."""
    saved = drafts.find(country, section)
    return {
        "saved": saved,
        "saved_by": saved and _email(saved.updated_by),
        "submitted_by": saved and _email(saved.submitted_by),
        "returned_by": saved and _email(saved.returned_by),
        "draft_withdraws": saved is not None and drafts.document(saved) is None,
        "draft_differences": drafts.differences(saved) if saved else [],
        "published_since_draft": drafts.published_since(saved) if saved else [],
        "requires_approval": publishing.requires_approval(country),
    }


def _email(account_id: int | None) -> str | None:
    """Who did something to a draft, as the country's accounts know each other: by e-mail address."""
    account = db.session.get(Account, account_id) if account_id else None
    return account.email if account else None


def base_etag(saved: Draft) -> str:
    """The ETag of the version a draft was begun from ("" when nothing was published then)."""
    return next((row.hash for row in history.versions(saved.country, saved.section) if row.seq == saved.base_seq), "")


def _keep(account: Account, country: str, section: str, document, etag: str) -> Draft:
    """Save the editor's document as the section's draft, made against the version the editor began from (etag).

    StalePrecondition, and nothing saved, when that version is neither the current one nor the draft's own base:
    someone published meanwhile. Edited on top of the current version, the draft is brought up to date.
    """
    current = history.current(country, section)
    current_etag = current.hash if current else ""
    saved = drafts.find(country, section)
    if etag != current_etag and (saved is None or base_etag(saved) != etag):
        raise publishing.StalePrecondition("Someone published since this editor was opened.")
    saved = drafts.save(account, country, section, document)
    if etag == current_etag and saved.base_seq != (current.seq if current else None):
        saved = drafts.rebase(account, country, section)
    return saved


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
        saved = drafts.find(country, section)
        if saved is not None and saved.state == "submitted":
            return redirect(url_for("console.draft", country=country, section=section))
        if saved is not None:
            return _editor(country, section, forms.from_document(section, drafts.document(saved)), base_etag(saved))
        published = None if current is None or current.withdrawn else history.document(current)
        return _editor(country, section, forms.from_document(section, published), current.hash if current else "")

    etag = request.form.get("etag", "")
    action = request.form.get("action", "preview")
    if action == "publish":
        return _publish(account, country, section, _posted_document(), etag)
    if action == "submit":
        return _submit(account, country, section, _posted_document(), etag)
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
    if action == "save-draft":
        return _save_draft(account, country, section, draft.document(), etag)

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
        requires_approval=publishing.requires_approval(country),
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
    """Publish what the preview showed; the section's draft, which the editor had opened, is published with it."""
    precondition = Precondition(if_match=frozenset({etag})) if etag else Precondition(if_none_match_any=True)
    try:
        if drafts.find(country, section) is None:
            row = publishing.publish(_actor(account), country, section, document, precondition)
        else:
            _keep(account, country, section, document, etag)
            row = drafts.publish(_actor(account), country, section)
    except publishing.StalePrecondition:
        return _conflict(country, section, document, _published_since(country, section, etag))
    except publishing.Conflict:
        return _awaiting_approval(country, section)
    except publishing.Invalid as refusal:
        draft = forms.from_document(section, document)
        forms.attach_errors(draft, refusal.errors or {})
        return _editor(country, section, draft, etag, status=422)
    flash(_("Version %(number)s was published.", number=row.version), "success")
    return redirect(url_for("pages.version", country=country, section=section, number=row.version))


def _save_draft(account: Account, country: str, section: str, document: dict, etag: str):
    """Keep the editor's work without publishing it, valid or not."""
    try:
        _keep(account, country, section, document, etag)
    except publishing.StalePrecondition:
        return _conflict(country, section, document, _published_since(country, section, etag))
    except publishing.Conflict:
        return _awaiting_approval(country, section)
    flash(_("The draft is saved. Nothing is published; the accounts of this country and the secretariat can open it."), "success")
    return redirect(url_for("console.edit", country=country, section=section))


def _submit(account: Account, country: str, section: str, document: dict, etag: str):
    """Where the country requires approval, the preview's document goes to another account instead of being published."""
    try:
        _keep(account, country, section, document, etag)
        drafts.submit(account, country, section)
    except publishing.StalePrecondition:
        return _conflict(country, section, document, _published_since(country, section, etag))
    except publishing.Conflict:
        return _awaiting_approval(country, section)
    flash(_("The draft is submitted for approval: another account of this country, or the secretariat, approves it "
            "or returns it with a comment."), "success")
    return redirect(url_for("console.draft", country=country, section=section))


def _awaiting_approval(country: str, section: str):
    flash(_("This draft awaits approval and cannot be changed; take it back first."), "error")
    return redirect(url_for("console.draft", country=country, section=section))


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


def _account_page(account: Account, *, created: str | None = None, status: int = 200, headers=None, **context):
    tokens = sorted(accounts.tokens(account), key=lambda row: row.id, reverse=True)
    now = utcnow()
    return render_template("console/account.html", account=account, tokens=tokens, created=created, expiries=TOKEN_EXPIRIES,
                           state=lambda row: accounts.token_state(row, now=now), **context), status, headers or {}


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    account = signed_in_account()
    if request.method == "GET":
        return _account_page(account)
    action = request.form.get("action")
    if action == "revoke":
        try:
            row = accounts.revoke_token(int(request.form.get("token", "0")), account=account)
        except (ValueError, accounts.AccountError):
            flash(_("There is no such token."), "error")
        else:
            flash(_("Token %(name)s is revoked.", name=row.name), "success")
        return redirect(url_for("console.account"))
    if action == "sign-out-everywhere":
        accounts.end_sessions(account.id)
        session.clear()
        flash(_("Every session of this account has ended, this one too. Sign in again to go on."), "success")
        return redirect(url_for("console.login"))
    if action == "password":
        return _change_password(account)
    expires = request.form.get("expires", "never")
    if expires not in TOKEN_EXPIRIES:
        flash(_("Choose when the token expires from the list."), "error")
        return redirect(url_for("console.account"))
    name = request.form.get("name", "").strip()[:100] or "token"
    expires_at = None if expires == "never" else accounts.parse_expiry(expires)
    _row, created = accounts.add_token(account, name, expires_at=expires_at)
    return _account_page(account, created=created)


def _change_password(account: Account):
    """A new password, given the current one (throttled like a sign-in): every session ends, and this browser gets a new one."""
    current = request.form.get("current_password", "")[:PASSWORD_MAX]
    new = request.form.get("new_password", "")[:PASSWORD_MAX]
    if new != request.form.get("new_password_again", "")[:PASSWORD_MAX]:
        return _account_page(account, status=422, password_error=_("The two new passwords differ."))
    if len(new) < accounts.PASSWORD_MIN:
        return _account_page(account, status=422, password_error=_("A password needs at least %(count)s characters.",
                                                                   count=accounts.PASSWORD_MIN))
    attempt = sign_in.begin(account.email, request.remote_addr)
    if attempt.blocked:
        message, headers = _too_many(attempt)
        return _account_page(account, status=429, headers=headers, password_error=message)
    if not accounts.check_password(account, current):
        return _account_page(account, status=422, password_error=_("The current password is not right."))
    sign_in.succeeded(attempt)
    accounts.set_password(account.id, new)  # ends every session of the account, this one too
    _start_session(account)
    flash(_("Your password is changed. Every other session of this account has ended."), "success")
    return redirect(url_for("console.account"))


@bp.get("/subscriptions")
@signed_in
def subscriptions():
    """How many subscribe to what, how far delivery lags, and which subscriptions fail; no subscriber's address."""
    account = _secretariat_only()
    found = status.status()
    lag = found.summary.oldest_undelivered
    return render_template("console/subscriptions.html", account=account, status=found, states=status.STATES,
                           lag_for=lag and format_timedelta(timedelta(seconds=lag.seconds), threshold=1.5),
                           STATE_LABELS=STATE_LABELS, CADENCE_LABELS=CADENCE_LABELS)


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
