"""E-mail: the SMTP connection (REGISTRY_SMTP_URL) and the messages (docs/delivery.md, "E-mail alerts").

Every message is written in the subscriber's language from the templates in
templates/mail/, as a multipart/alternative of plain text and HTML. Alerts and digests
carry what mail systems act on: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058:
unsubscribing in one click, with no page to visit), Auto-Submitted (RFC 3834: no
autoresponder answers them), and a Message-ID derived from the versions they hold, so
that a message sent again after a worker died keeps its id. Each version is named by
its Atom entry's id, by which a receiver drops a version it already had.
"""
import hashlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import parse_qs, quote, unquote, urlsplit

from babel.lists import format_list
from flask import current_app, render_template
from flask_babel import force_locale, gettext, lazy_gettext as _l, ngettext

from .. import changes, i18n, reference
from ..models import Subscription, Version
from . import DeliveryFailed, Settings, public_base, settings as settings_of
from .subscriptions import filters

log = logging.getLogger(__name__)

DIGEST_HOUR = 6  # UTC: daily digests leave at 06:00, weekly ones on Monday at 06:00


def next_send(subscription: Subscription, now: datetime) -> datetime:
    """When a subscription's next message may leave: at once for immediate alerts, else at the next digest time."""
    return next_send_at(subscription.cadence, now)


def next_send_at(cadence: str, now: datetime) -> datetime:
    """next_send for a rhythm (immediate, daily, weekly): also for one just chosen, before it is stored."""
    if cadence == "immediate":
        return now
    moment = now.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if moment <= now:
        moment += timedelta(days=1)
    if cadence == "weekly":
        moment += timedelta(days=(7 - moment.weekday()) % 7)
    return moment


def send(message: EmailMessage, settings: Settings) -> None:
    """Hand a message to the SMTP server of REGISTRY_SMTP_URL; DeliveryFailed unless it accepts it.

    smtp://host:port uses STARTTLS when the server offers it, smtp+starttls:// requires it,
    smtps:// speaks TLS from the start; user and password in the URL sign in.
    """
    if not settings.smtp_url:
        raise DeliveryFailed("No SMTP server is configured (REGISTRY_SMTP_URL).")
    url = urlsplit(settings.smtp_url)
    if url.scheme not in ("smtp", "smtp+starttls", "smtps"):
        raise DeliveryFailed(f"REGISTRY_SMTP_URL must start with smtp://, smtp+starttls:// or smtps://, not {url.scheme}://.", permanent=True)
    context = ssl.create_default_context()
    if "insecure" in parse_qs(url.query, keep_blank_values=True):  # a test server's self-signed certificate
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        if url.scheme == "smtps":
            client = smtplib.SMTP_SSL(url.hostname, url.port or 465, timeout=settings.timeout_s, context=context)
        else:
            client = smtplib.SMTP(url.hostname, url.port or 25, timeout=settings.timeout_s)
        with client:
            if url.scheme != "smtps":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif url.scheme == "smtp+starttls":
                    raise DeliveryFailed("The SMTP server does not offer STARTTLS, which REGISTRY_SMTP_URL requires.")
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        codes = [code for code, _ in refused.recipients.values()]
        raise DeliveryFailed(f"The SMTP server refused the address ({codes}).", permanent=all(500 <= code < 600 for code in codes)) from None
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryFailed(f"SMTP: {type(error).__name__}: {error}") from None


# Where the links of a message lead (registry/web/subscribe.py serves them).
CONFIRM_PATH = "/subscriptions/confirm"
MANAGE_PATH = "/subscriptions/manage"
UNSUBSCRIBE_PATH = "/subscriptions/unsubscribe"
SUBSCRIBE_PATH = "/subscribe"
SUBJECT_COUNTRIES = 3  # countries a subject names; the others are counted
CADENCE_LABELS = {
    "immediate": _l("Immediately, after each publication"),
    "daily": _l("A daily digest, at 06:00 UTC"),
    "weekly": _l("A weekly digest, on Mondays at 06:00 UTC"),
}


@dataclass(frozen=True)
class Entry:
    """A version as a message shows it, in the subscriber's language."""

    id: str  # its Atom entry's id: the same in every feed, language and message
    title: str
    published: str
    url: str
    sentences: tuple[str, ...]
    sentences_lang: str  # the language the sentences are in: the stored English when they could not be worded anew


@dataclass(frozen=True)
class Links:
    """The addresses a message to a subscriber gives: its token opens the pages that act on its subscription."""

    base: str
    token: str
    lang: str

    def page(self, path: str) -> str:
        return f"{self.base}{path}?token={quote(self.token)}&lang={self.lang}"

    @property
    def confirm(self) -> str:
        return self.page(CONFIRM_PATH)

    @property
    def manage(self) -> str:
        return self.page(MANAGE_PATH)

    @property
    def unsubscribe(self) -> str:
        return self.page(UNSUBSCRIBE_PATH)

    @property
    def one_click(self) -> str:
        """What List-Unsubscribe gives: mail systems POST "List-Unsubscribe=One-Click" to it (RFC 8058)."""
        return f"{self.base}{UNSUBSCRIBE_PATH}?token={quote(self.token)}"

    @property
    def subscribe(self) -> str:
        return f"{self.base}{SUBSCRIBE_PATH}?lang={self.lang}"


def entry_id(version: Version) -> str:
    """The version's Atom entry id, as the feeds give it (feeds/rendering.py, entry_id; RFC 4151): never changes."""
    return f"tag:{current_app.config['REGISTRY_TAG_AUTHORITY']}:{version.country}/{version.section}/{version.version}"


def change_sentences(version: Version, lang: str) -> changes.Wording:
    """A version's change sentences in the subscriber's language (the stored English where they cannot be worded anew)."""
    return changes.in_language(version, lang)


def entry(version: Version, base: str, lang: str) -> Entry:
    """A version as an alert lists it; in a force_locale of `lang`."""
    title = gettext("%(country)s — %(section)s, version %(number)s", country=reference.country(version.country).name(lang),
                    section=i18n.SECTION_LABELS[version.section], number=version.version)
    if version.withdrawn:
        title = gettext("%(title)s (withdrawn)", title=title)
    wording = change_sentences(version, lang)
    path = f"/countries/{version.country}/{version.section}/versions/{version.version}"
    return Entry(entry_id(version), title, i18n.moment(version.published_at), f"{base}{path}?lang={lang}",
                 wording.sentences, wording.lang)


def subject(cadence: str, versions: list[Version], lang: str) -> str:
    """What an alert's subject says: how many publications, and for which countries; in a force_locale of `lang`."""
    codes = list(dict.fromkeys(version.country for version in versions))
    names = [reference.country(code).name(lang) for code in codes[:SUBJECT_COUNTRIES]]
    if len(codes) > SUBJECT_COUNTRIES:
        names.append(ngettext("%(num)s other country", "%(num)s other countries", len(codes) - SUBJECT_COUNTRIES))
    countries, count = format_list(names, locale=lang), len(versions)
    if cadence == "daily":
        return ngettext("Daily digest: %(num)s publication for %(countries)s",
                        "Daily digest: %(num)s publications for %(countries)s", count, countries=countries)
    if cadence == "weekly":
        return ngettext("Weekly digest: %(num)s publication for %(countries)s",
                        "Weekly digest: %(num)s publications for %(countries)s", count, countries=countries)
    return ngettext("%(num)s new publication for %(countries)s", "%(num)s new publications for %(countries)s", count,
                    countries=countries)


def choices(subscription: Subscription, lang: str) -> dict[str, str]:
    """A subscription's choices in words, as its messages and pages recall them; in a force_locale of `lang`."""
    chosen = filters(subscription)
    return {
        "countries": _listed([reference.country(code).name(lang) for code in chosen["countries"]], lang,
                             gettext("every country")),
        "sections": _listed([str(i18n.SECTION_LABELS[section]) for section in chosen["sections"]], lang,
                            gettext("every section")),
        "substances": _listed([reference.substance(key).name(lang) for key in chosen["substances"]], lang,
                              gettext("every substance")),
        "cadence": str(CADENCE_LABELS[subscription.cadence]),
    }


def _listed(names: list[str], lang: str, none_chosen: str) -> str:
    """Names as a list in the language ("France, Japan and Peru"); an empty choice means every one."""
    return format_list(names, locale=lang) if names else none_chosen


def alert(subscription: Subscription, versions: list[Version], settings: Settings) -> EmailMessage:
    """The alert (immediate) or digest (daily, weekly) that holds `versions`, in the subscriber's language."""
    lang, links = subscription.language, _links(subscription)
    with force_locale(lang):
        message = _compose(subscription, "alert", subject(subscription.cadence, versions, lang), settings, links,
                           entries=[entry(version, links.base, lang) for version in versions],
                           choices=choices(subscription, lang))
    # RFC 8058: a mail system unsubscribes with one POST to this address, without opening a page.
    message["List-Unsubscribe"] = f"<{links.one_click}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Message-ID"] = _message_id(subscription, versions, settings)
    return message


def confirmation(subscription: Subscription) -> EmailMessage:
    """The message that asks the address's owner to confirm a subscription (double opt-in)."""
    settings, lang, links = settings_of(current_app), subscription.language, _links(subscription)
    with force_locale(lang):
        message = _compose(subscription, "confirm", gettext("Confirm your e-mail alerts"), settings, links,
                           choices=choices(subscription, lang))
    message["Message-ID"] = make_msgid(domain=_domain(settings))
    return message


def suspended(subscription: Subscription, settings: Settings) -> EmailMessage:
    """The message that tells a subscriber that alerts stopped after repeated failures."""
    lang, links = subscription.language, _links(subscription)
    with force_locale(lang):
        message = _compose(subscription, "suspended", gettext("Your e-mail alerts have stopped"), settings, links,
                           choices=choices(subscription, lang))
    message["Message-ID"] = make_msgid(domain=_domain(settings))
    return message


def deliver(subscription: Subscription, versions: list, settings: Settings) -> None:
    """Send one alert (immediate) or digest holding `versions`; DeliveryFailed unless the SMTP server accepted it."""
    send(alert(subscription, versions, settings), settings)


def tell_suspended(subscription: Subscription, settings: Settings) -> None:
    """Tell the subscriber, once and as best it can, that alerts stopped after repeated failures.

    The address is what failed, so this message may fail too: then it is only logged.
    """
    try:
        send(suspended(subscription, settings), settings)
    except DeliveryFailed as failure:
        log.info("Subscription %s: the notice of its suspension was not accepted either: %s", subscription.id, failure)


def _links(subscription: Subscription) -> Links:
    return Links(public_base(current_app), subscription.token, subscription.language)


def _compose(subscription: Subscription, template: str, subject_line: str, settings: Settings, links: Links,
             **context) -> EmailMessage:
    """A message from templates/mail/{template}.txt and .html, in the language forced around the call."""
    lang = subscription.language
    words = {"subject": subject_line, "links": links, "cadence": subscription.cadence, "subscriber_lang": lang,
             "mail_lang": i18n.HTML_LANG[lang], "mail_dir": i18n.direction(lang), **context}
    message = EmailMessage()
    message["Subject"] = subject_line
    message["From"] = settings.mail_from
    message["To"] = subscription.address
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834
    message.set_content(render_template(f"mail/{template}.txt", **words))
    message.add_alternative(render_template(f"mail/{template}.html", **words), subtype="html")
    message["Content-Language"] = i18n.HTML_LANG[lang]  # after the parts: making them moves Content-* headers into the first
    return message


def _domain(settings: Settings) -> str:
    return parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"


def _message_id(subscription: Subscription, versions: list[Version], settings: Settings) -> str:
    """The same for the same versions sent to the same subscription: a message sent again is recognizably the same.

    Derived from the token, so that it tells nothing of the subscription to whoever reads the headers.
    """
    holding = ",".join(version.hash for version in versions)
    digest = hashlib.sha256(f"{subscription.token}\n{holding}".encode()).hexdigest()[:32]
    return f"<{digest}@{_domain(settings)}>"
