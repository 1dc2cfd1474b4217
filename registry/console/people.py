"""Accounts managed in the console (docs/workflow.md, "Accounts and roles").

A country's administrator (/console/people/CC) invites the country's officers by e-mail,
makes them administrators, disables and enables them and revokes their tokens; the
secretariat does the same for every country, and invites secretariat accounts
(/console/people). An invited officer sets a password through the one-time link
(/console/invitation/<token>), which then no longer works. Every change is audited,
naming the accounts privately.
"""
import json
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from .. import accounts, delivery, reference
from ..db import db, utcnow, write_transaction
from ..delivery import DeliveryFailed, mail
from ..i18n import by_country_name, country_name, language
from ..models import Account, ApiToken, AuditRecord
from . import sign_in
from .views import EMAIL_MAX, PASSWORD_MAX, bp, signed_in, signed_in_account

ACCOUNT_ROLE_LABELS = {"secretariat": _l("secretariat"), "admin": _l("administrator"), "officer": _l("officer")}
ACCOUNT_STATE_LABELS = {"active": _l("active"), "invited": _l("invited, no password yet"), "disabled": _l("disabled")}
TOKEN_STATE_LABELS = {"live": _l("live"), "revoked": _l("revoked"), "expired": _l("expired"),
                      "account disabled": _l("unusable: account disabled")}
INVITATION_DAYS = accounts.INVITATION_LIFETIME.days


def _may_administer(country: str) -> Account:
    """The signed-in account, if it manages this country's accounts: 404 or 403 otherwise."""
    account = signed_in_account()
    if reference.country(country) is None:
        abort(404, description=_("%(code)s is not a country code of ISO 3166-1.", code=country))
    if not account.may_administer(country):
        abort(403, description=_("Only the country's administrators and the secretariat manage its accounts."))
    return account


def _role(account: Account) -> str:
    return "secretariat" if account.secretariat else "admin" if account.admin else "officer"


def _state(account: Account) -> str:
    return "disabled" if account.disabled else "invited" if account.password_hash is None else "active"


@bp.get("/people")
@signed_in
def people_home():
    """The secretariat chooses a country (or manages its own accounts); an administrator goes to their country."""
    account = signed_in_account()
    asked = request.args.get("country", "").strip().upper()
    if account.secretariat and asked:
        return redirect(url_for("console.people", country=asked))
    if account.secretariat:
        return _page(account, None)
    if account.admin:
        return redirect(url_for("console.people", country=account.country))
    abort(403, description=_("Only the country's administrators and the secretariat manage its accounts."))


@bp.post("/people")
@signed_in
def secretariat_people():
    account = signed_in_account()
    if not account.secretariat:
        abort(403, description=_("Only the secretariat manages the secretariat's accounts."))
    return _change(account, None)


@bp.route("/people/<country>", methods=["GET", "POST"])
@signed_in
def people(country):
    account = _may_administer(country)
    if request.method == "GET":
        return _page(account, country)
    return _change(account, country)


def _page(account: Account, country: str | None, *, status: int = 200, **context):
    """The accounts of a country (None: of the secretariat), their tokens, and the invitation form."""
    members = accounts.accounts_of(country)
    now = utcnow()
    return render_template(
        "console/people.html", account=account, country=country, members=members,
        heading=_("Accounts of %(country)s", country=country_name(country)) if country else _("Accounts of the secretariat"),
        signed_in_at=sign_in.last_sign_ins([member.email for member in members]),
        tokens={member.id: accounts.tokens(member) for member in members},
        token_state=lambda row: accounts.token_state(row, now=now), role=_role, state=_state,
        ACCOUNT_ROLE_LABELS=ACCOUNT_ROLE_LABELS, ACCOUNT_STATE_LABELS=ACCOUNT_STATE_LABELS, TOKEN_STATE_LABELS=TOKEN_STATE_LABELS,
        choices=by_country_name(reference.countries()) if account.secretariat else [],
        invitation_days=INVITATION_DAYS, known_days=sign_in.KNOWN_FOR.days, **context), status


def _back(country: str | None):
    return redirect(url_for("console.people", country=country) if country else url_for("console.people_home"))


def _change(account: Account, country: str | None):
    action = request.form.get("action", "")
    if action == "invite":
        return _invite(account, country)
    if action == "revoke":
        return _revoke(account, country)
    member = _member(country, request.form.get("account", ""))
    if member is None:
        flash(_("There is no such account here."), "error")
    elif member.id == account.id:
        flash(_("You cannot change your own account here: another administrator or the secretariat can."), "error")
    elif action == "new-link" and member.password_hash is None and not member.disabled:
        return _send(account, country, member, accounts.new_invitation(account, member), "account-new-link")
    elif action in ("disable", "enable"):
        accounts.set_disabled(member.id, action == "disable")
        _audit(account, f"account-{action}", member)
        flash(_("%(email)s is disabled: its sessions have ended and its tokens no longer work.", email=member.email)
              if action == "disable" else _("%(email)s is enabled again.", email=member.email), "success")
    elif action in ("make-admin", "unmake-admin") and country is not None:
        accounts.set_admin(member.id, action == "make-admin")
        _audit(account, "account-admin" if action == "make-admin" else "account-not-admin", member)
        flash(_("%(email)s is now an administrator of %(country)s.", email=member.email, country=country_name(country))
              if action == "make-admin" else _("%(email)s is no longer an administrator.", email=member.email), "success")
    else:
        flash(_("This cannot be done to this account."), "error")
    return _back(country)


def _member(country: str | None, account_id: str) -> Account | None:
    """The account of that id, if it belongs to the country (None: to the secretariat)."""
    found = db.session.get(Account, int(account_id)) if account_id.isdigit() else None
    if found is None or ((found.country != country) if country else not found.secretariat):
        return None
    return found


def _invite(account: Account, country: str | None):
    email = accounts.normalize_email(request.form.get("email", ""))[:EMAIL_MAX]
    authority_name = request.form.get("authority_name", "").strip() or None
    form = {"email": email, "authority_name": authority_name or "", "admin": bool(request.form.get("admin"))}
    if "@" not in email.strip("@"):
        return _page(account, country, status=422, invite_error=_("Give the e-mail address of the person to invite."), form=form)
    if accounts.find_account(email) is not None:
        return _page(account, country, status=422, invite_error=_("An account for %(email)s exists already.", email=email),
                     form=form)
    try:
        member, token = accounts.invite(account, email, country=country, secretariat=country is None,
                                        admin=form["admin"] and country is not None, authority_name=authority_name)
    except accounts.AccountError as refusal:
        return _page(account, country, status=422, invite_error=str(refusal), form=form)
    return _send(account, country, member, token, "account-invite")


def _send(account: Account, country: str | None, member: Account, token: str, action: str):
    """E-mail the one-time link; where that is impossible, show it now, once, for the administrator to pass on."""
    _audit(account, action, member)
    link = delivery.public_base(current_app) + url_for("console.invitation", token=token, lang=language())
    settings = delivery.settings(current_app)
    try:
        mail.send(invitation_message(account, member, link, settings.mail_from), settings)
    except DeliveryFailed as failure:
        current_app.logger.warning("The invitation to account %s was not sent: %s", member.id, failure)
        reason = (_("No e-mail server is configured for the registry.") if not settings.smtp_url
                  else _("The e-mail server did not accept the message."))
        return _page(account, country, unsent={"email": member.email, "link": link, "reason": reason})
    flash(_("An invitation was sent to %(email)s. Its link works once, within %(days)s days.", email=member.email,
            days=INVITATION_DAYS), "success")
    return _back(country)


def invitation_message(by: Account, member: Account, link: str, sender: str) -> EmailMessage:
    """The invitation, in the language the administrator uses the console in."""
    place = country_name(member.country) if member.country else _("the secretariat")
    message = EmailMessage()
    message["Subject"] = _("Your account in the registry for travellers under treatment")
    message["From"], message["To"] = sender, member.email
    message["Date"], message["Message-ID"] = formatdate(usegmt=True), make_msgid(domain="registry")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834
    message.set_content("\n\n".join((
        _("%(authority)s has made you an account in the registry for travellers under treatment, for %(place)s.",
          authority=by.authority_name, place=place),
        _("To choose your password, open this link within %(days)s days; it works only once:", days=INVITATION_DAYS)
        + "\n" + link,
        _("Then sign in to the authority console with this e-mail address and that password."),
        _("If you did not expect this message, ignore it: without a password nobody can use the account."),
    )) + "\n")
    return message


def _revoke(account: Account, country: str | None):
    token_id = request.form.get("token", "")
    row = db.session.get(ApiToken, int(token_id)) if token_id.isdigit() else None
    member = _member(country, str(row.account_id)) if row is not None else None
    if member is None:
        flash(_("There is no such token."), "error")
        return _back(country)
    row = accounts.revoke_token(row.id, account=member)
    _audit(account, "token-revoke", member, token=row.id)
    flash(_("Token %(name)s of %(email)s is revoked.", name=row.name, email=member.email), "success")
    return _back(country)


def _audit(account: Account, action: str, member: Account, **detail) -> None:
    """Who changed which account: both accounts, privately (audit records never leave the registry)."""
    with write_transaction() as session:
        session.add(AuditRecord(at=utcnow(), account_id=account.id, action=action, country=member.country or "", section="",
                                outcome="ok", status=200, remote_addr=(request.remote_addr or "")[:64] or None,
                                detail=json.dumps({"account": member.id, "email": member.email, **detail})))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token):
    """Set a password through a one-time link. The same page answers every link that does not work, whoever it was for."""
    found = accounts.invitation(token)
    if found is None:
        return _expired()
    member = db.session.get(Account, found.account_id)
    if request.method == "GET":
        return _invitation_page(member)
    password = request.form.get("password", "")[:PASSWORD_MAX]
    if password != request.form.get("password_again", "")[:PASSWORD_MAX]:
        return _invitation_page(member, error=_("The two passwords differ."), status=422)
    if len(password) < accounts.PASSWORD_MIN:
        return _invitation_page(member, error=_("A password needs at least %(count)s characters.", count=accounts.PASSWORD_MIN),
                                status=422)
    try:
        member = accounts.accept_invitation(token, password)
    except accounts.AccountError:
        return _expired()
    _audit(member, "invitation-accept", member)
    flash(_("Your password is set. Sign in with your e-mail address and that password."), "success")
    return redirect(url_for("console.login"))


def _invitation_page(member: Account, *, error: str | None = None, status: int = 200):
    page = render_template("console/invitation.html", member=member, error=error, password_min=accounts.PASSWORD_MIN)
    return page, status, {"Referrer-Policy": "no-referrer"}  # the address holds the token


def _expired():
    page = render_template("console/invitation_expired.html", invitation_days=INVITATION_DAYS)
    return page, 410, {"Referrer-Policy": "no-referrer"}
