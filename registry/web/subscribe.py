"""/subscribe, and the pages a subscriber's links open: e-mail alerts (docs/delivery.md, "E-mail alerts").

Subscribing is double opt-in: the form records a pending subscription and mails a link
(registry/delivery/mail.py); nothing else is sent to the address until that link's page
is confirmed. The link opens a page with a button that POSTs, so that a mail system's
link scanner, which follows links but presses no button, confirms nothing.

The token in a link is the subscriber's key: whoever holds it may confirm, change and
end the subscription, and no page shows an address in full. Unsubscribing in one click
(RFC 8058) is a POST from a mail system, which cannot send a CSRF token: that view alone
is exempt, the token in its address being what authorizes it. These pages are answered
`no-store` and `no-referrer`, so that neither a cache nor a link followed from them keeps
the token.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from babel.lists import format_list
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from .. import i18n, reference
from ..db import utcnow
from ..delivery import DeliveryFailed, mail, settings, subscriptions
from ..documents import SECTIONS
from ..i18n import LANGUAGE_NAMES, LANGUAGES, language

bp = Blueprint("subscribe", __name__)

FIELD_MAX = 254  # characters kept of a typed value: an address is at most this long
SUBSTANCES_MAX = 20  # substance fields the form grows to


@dataclass
class AlertForm:
    """The choices as typed in the form: what it shows again, and what subscriptions.email takes."""

    address: str = ""
    countries: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    substances: list[str] = field(default_factory=lambda: [""])  # as typed: any name, in any language
    language: str = i18n.DEFAULT_LANGUAGE
    cadence: str = "immediate"
    errors: dict[str, list[str]] = field(default_factory=dict)
    focus: str | None = None  # the field just added

    @classmethod
    def read(cls, form) -> AlertForm:
        """The form from a POST; values bounded in length and count, codes that are no choice left out."""
        typed = [_typed(text) for text in form.getlist("substances")[:SUBSTANCES_MAX]]
        return cls(
            address=_typed(form.get("address")),
            countries=[code for code in form.getlist("countries") if reference.country(code) is not None],
            sections=[section for section in form.getlist("sections") if section in SECTIONS],
            substances=[text for text in typed if text] or [""],
            language=form.get("language") if form.get("language") in LANGUAGES else language(),
            cadence=form.get("cadence") if form.get("cadence") in subscriptions.CADENCES else "immediate",
        )

    @classmethod
    def of(cls, subscription) -> AlertForm:
        """A subscription's choices, for its manage page."""
        chosen = subscriptions.filters(subscription)
        return cls(countries=chosen["countries"], sections=chosen["sections"],
                   substances=[reference.substance(key).name(language()) for key in chosen["substances"]] + [""],
                   language=subscription.language, cadence=subscription.cadence)

    def add_substance(self) -> None:
        if len(self.substances) < SUBSTANCES_MAX:
            self.substances.append("")
            self.focus = f"substances.{len(self.substances) - 1}"

    def substance_keys(self) -> list[str]:
        """The substances' keys; a name that is no substance is filed as a problem of its field."""
        keys = []
        for index, text in enumerate(self.substances):
            if not text:
                continue
            key = i18n.substance_key(text)
            if key is None:
                self.errors.setdefault(f"substances.{index}", []).append(_unknown_substance(text))
            else:
                keys.append(key)
        return keys

    def choices(self) -> dict:
        return {"countries": self.countries, "sections": self.sections, "substances": self.substance_keys(),
                "language": self.language, "cadence": self.cadence}


def _typed(value) -> str:
    return (value or "").strip()[:FIELD_MAX]


def _unknown_substance(text: str) -> str:
    close = [reference.substance(key).name(language()) for key in i18n.close_substances(text)]
    if close:
        return _("‘%(typed)s’ is not a substance we know. Did you mean %(names)s?", typed=text,
                 names=format_list(close, style="or", locale=language()))
    return _("‘%(typed)s’ is not a substance we know.", typed=text)


def masked(address: str) -> str:
    """An address as its subscriber's page shows it: enough to recognize, not to copy ("a•••@example.org")."""
    local, _at, domain = address.rpartition("@")
    return f"{local[:1]}•••@{domain}"


def _private(body: str, status: int = 200, headers: dict | None = None):
    """A page reached with a subscriber's token: kept by no cache, and the token never sent on as a referrer."""
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex",
                          **(headers or {})}


def _form_page(template: str, form: AlertForm, status: int = 200, headers: dict | None = None, **context):
    return _private(render_template(
        template,
        form=form,
        countries=[(code, i18n.country_name(code)) for code in i18n.by_country_name(reference.countries())],
        substances=reference.substances(),
        section_labels=i18n.SECTION_LABELS,
        language_names=LANGUAGE_NAMES,
        cadence_labels=mail.CADENCE_LABELS,
        substances_max=SUBSTANCES_MAX,
        **context,
    ), status, headers)


def _subscription(token: str | None, *, ended_too: bool = False):
    """The e-mail subscription of a link's token; 404 when there is none (or it ended, unless `ended_too`)."""
    found = subscriptions.by_token(token)
    if found is None or (found.state == "ended" and not ended_too):
        raise NotFound(_("This link leads to no subscription: it has ended, or the link was cut short. "
                         "You can subscribe again."))
    return found


# -- asking ----------------------------------------------------------------------------------------------


@bp.get("/subscribe")
def ask():
    return _form_page("subscribe/ask.html", AlertForm(language=language()))


@bp.post("/subscribe")
def ask_post():
    form = AlertForm.read(request.form)
    if request.form.get("action") == "add-substance":
        form.add_substance()
        return _form_page("subscribe/ask.html", form)
    _check_address(form)
    choices = form.choices()
    if form.errors:
        return _form_page("subscribe/ask.html", form, 422)
    try:
        subscription = subscriptions.email(form.address, remote_addr=request.remote_addr, **choices)
    except subscriptions.Refused as refusal:
        return _refused(form, refusal)
    try:
        mail.send(mail.confirmation(subscription), settings(current_app))
    except DeliveryFailed as failure:
        # The SMTP server's answer may quote the address, which no log keeps.
        current_app.logger.warning("The confirmation of an e-mail subscription could not be sent: %s",
                                   str(failure).replace(form.address, masked(form.address)))
        subscriptions.unsubscribe(subscription)  # nothing kept of an address that was never reached
        form.errors[""] = [_("The message asking you to confirm could not be sent, so nothing was recorded. "
                             "Check the address, or try again later.")]
        return _form_page("subscribe/ask.html", form, 422 if failure.permanent else 503)
    return redirect(url_for("subscribe.sent"), 303)


def _check_address(form: AlertForm) -> None:
    if not form.address:
        form.errors["address"] = [_("Type your e-mail address.")]
        return
    try:
        subscriptions.normalized_address(form.address)
    except subscriptions.Refused:
        form.errors["address"] = [_("This is not an e-mail address. Type it as name@example.org.")]


def _refused(form: AlertForm, refusal: subscriptions.Refused):
    """The core refused the request: too many requests (429), or a value the form never offers (a changed page)."""
    if refusal.status == 429:
        form.errors[""] = [_("Too many subscription requests for this address or from your network. "
                             "Try again in an hour.")]
        return _form_page("subscribe/ask.html", form, 429, {"Retry-After": str(refusal.retry_after)})
    form.errors[""] = [str(refusal)]
    return _form_page("subscribe/ask.html", form, 422)


@bp.get("/subscribe/sent")
def sent():
    return render_template("subscribe/sent.html")


# -- confirming, managing, ending ---------------------------------------------------------------------------


@bp.get("/subscriptions/confirm")
def confirm_page():
    subscription = _subscription(request.args.get("token"))
    return _private(render_template("subscribe/confirm.html", subscription=subscription, token=request.args["token"],
                                    choices=mail.choices(subscription, language())))


@bp.post("/subscriptions/confirm")
def confirm():
    subscription = _subscription(request.form.get("token"))
    subscriptions.confirm(subscription, mail.next_send(subscription, utcnow()))
    return _private(render_template("subscribe/confirmed.html", subscription=subscription, token=request.form["token"],
                                    choices=mail.choices(subscription, language())))


@bp.get("/subscriptions/manage")
def manage():
    subscription = _subscription(request.args.get("token"))
    return _manage_page(subscription, AlertForm.of(subscription))


@bp.post("/subscriptions/manage")
def manage_post():
    subscription = _subscription(request.args.get("token"))
    form = AlertForm.read(request.form)
    if request.form.get("action") == "add-substance":
        form.add_substance()
        return _manage_page(subscription, form)
    if subscription.state not in ("active", "pending"):
        return _manage_page(subscription, AlertForm.of(subscription), 409)
    choices = form.choices()
    if form.errors:
        return _manage_page(subscription, form, 422)
    try:
        subscriptions.change(subscription, **choices, first_send=mail.next_send_at(form.cadence, utcnow()))
    except subscriptions.Refused as refusal:
        form.errors[""] = [str(refusal)]
        return _manage_page(subscription, form, 422)
    return _manage_page(subscription, AlertForm.of(subscription), saved=True)


def _manage_page(subscription, form: AlertForm, status: int = 200, **context):
    return _form_page("subscribe/manage.html", form, status, subscription=subscription, token=subscription.token,
                      address=masked(subscription.address or ""), choices=mail.choices(subscription, language()),
                      **context)


@bp.get("/subscriptions/unsubscribe")
def unsubscribe_page():
    subscription = _subscription(request.args.get("token"), ended_too=True)
    return _private(render_template("subscribe/unsubscribe.html", subscription=subscription,
                                    token=request.args["token"]))


@bp.post("/subscriptions/unsubscribe")
def unsubscribe():
    """One click (RFC 8058: a mail system POSTs "List-Unsubscribe=One-Click"), or the button of the page above.

    Ending what has ended answers the same: a mail system may send its POST twice.
    """
    subscription = _subscription(request.args.get("token"), ended_too=True)
    subscriptions.unsubscribe(subscription)
    return _private(render_template("subscribe/unsubscribed.html"))


def register(app) -> None:
    """Bind the pages; the one-click unsubscription comes from mail systems, which hold no CSRF token."""
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(unsubscribe)
