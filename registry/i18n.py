"""Languages of the pages: the six of the United Nations, chosen by ?lang=, a cookie, or Accept-Language.

Every string a page shows goes through Flask-Babel. The catalogues are the
``translations/*/LC_MESSAGES/messages.po`` files themselves: each is compiled in
memory the first time a process needs it, so a fresh clone, an editable install
and a wheel all serve current translations with no build step to forget, and no
compiled binary is ever committed (docs/web.md, "Translations").

The names of the contract's codes (document kinds, schedule classes, roles…) are
here too, so that every surface says them the same way in every language. Dates, numbers and lists are
written as Babel's CLDR data writes them in each language, and Arabic pages run right to left.
"""
import io
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, support
from babel.languages import get_official_languages
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request
from flask_babel import Babel, Domain, format_date, format_datetime, format_decimal, get_locale, lazy_gettext as _l
from markupsafe import Markup
from pyuca import Collator
from werkzeug.utils import cached_property

from . import reference, search

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
# The official languages of the United Nations, in the UN's order (alphabetical in English).
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
DEFAULT_LANGUAGE = "en"  # the language of the source strings, for a browser that accepts none of the six
# Each language named in itself, as the language menu shows it.
LANGUAGE_NAMES = {"ar": "العربية", "zh": "中文", "en": "English", "fr": "Français", "ru": "Русский", "es": "Español"}
# BCP 47 tags for <html lang>: the Chinese catalogue is written in simplified characters.
HTML_LANG = {"ar": "ar", "zh": "zh-Hans", "en": "en", "fr": "fr", "ru": "ru", "es": "es"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600  # 1 year, in seconds


def N_(message: str) -> str:
    """An English message marked for pybabel (one of its default keywords), translated where it is shown."""
    return message


@lru_cache(maxsize=None)
def catalog(lang: str) -> support.NullTranslations:
    """The compiled catalogue of a language (fuzzy entries left out); empty for English."""
    source = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if not source.is_file():
        return support.NullTranslations()
    with source.open("rb") as stream:
        messages = read_po(stream, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return support.Translations(compiled)


class _CompiledCatalogs(Domain):
    """Flask-Babel's message domain, fed from the catalogues compiled in memory."""

    def get_translations(self):
        locale = get_locale()
        return catalog(locale.language) if locale is not None else support.NullTranslations()


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _CompiledCatalogs()


def select_language() -> str:
    """?lang= first, then the language the visitor chose before (cookie), then Accept-Language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    kept = request.cookies.get(COOKIE)
    if kept in LANGUAGES:
        return kept
    return accepted_language(request.accept_languages)


def accepted_language(accepted) -> str:
    """The browser's most preferred language among the six, by its primary subtag (RFC 4647 lookup).

    "ar-EG, en;q=0.5" is Arabic: Werkzeug's best_match would prefer the exact match "en" to the
    region-tagged first choice. "*" and a list naming none of the six mean English.
    """
    ranked = sorted(accepted, key=lambda item: -item[1])  # stable: equal qualities keep the browser's order
    for tag, quality in ranked:
        primary = tag.split("-")[0].split("_")[0].lower()
        if quality > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def language() -> str:
    """The language of the page being built, one of LANGUAGES."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def direction(lang: str | None = None) -> str:
    """The direction a language is written in, for <html dir>: "rtl" for Arabic, else "ltr" (CLDR's)."""
    return _direction(lang or language())


@lru_cache(maxsize=None)
def _direction(lang: str) -> str:
    return Locale.parse(lang).text_direction


def switch_url(lang: str) -> str:
    """This page's address in another language."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [lang]
    return f"{request.path}?{urlencode(args, doseq=True)}"


# -- the contract's codes in words -------------------------------------------------------

SECTION_LABELS = {
    "requirements": _l("Documentary requirements"),
    "authorities": _l("Issuing authorities"),
    "import-bans": _l("Import bans (article 13)"),
}
DOCUMENT_KIND_LABELS = {
    "prescription": _l("a prescription"),
    "physician-letter": _l("a letter from the treating physician"),
    "certificate": _l("a certificate from the authority of the country of departure (Annex I)"),
    "import-permit": _l("an import permit issued in advance by this country"),
    "schengen-certificate": _l("a Schengen certificate"),
    "customs-declaration": _l("a customs declaration"),
}
SCHEDULE_CLASS_LABELS = {
    "1961-I": _l("narcotic drugs in Schedule I (1961)"),
    "1961-II": _l("narcotic drugs in Schedule II (1961)"),
    "1961-III": _l("preparations in Schedule III (1961)"),
    "1961-IV": _l("narcotic drugs in Schedule IV (1961)"),
    "1971-I": _l("psychotropic substances in Schedule I (1971)"),
    "1971-II": _l("psychotropic substances in Schedule II (1971)"),
    "1971-III": _l("psychotropic substances in Schedule III (1971)"),
    "1971-IV": _l("psychotropic substances in Schedule IV (1971)"),
}
SCHEDULE_CLASS_SHORT_LABELS = {
    **dict(zip(reference.SCHEDULE_CLASSES, (
        _l("1961 Schedule I"), _l("1961 Schedule II"), _l("1961 Schedule III"), _l("1961 Schedule IV"),
        _l("1971 Schedule I"), _l("1971 Schedule II"), _l("1971 Schedule III"), _l("1971 Schedule IV"),
    ))),
    # Not a schedule: the class of a substance only some countries control (reference.NATIONAL).
    reference.NATIONAL: _l("Not under international control"),
}
TRAVELLERS_ALLOWED_LABELS = {
    "yes": _l("Travellers may bring medicines containing controlled substances for their own treatment."),
    "restricted": _l("Travellers may bring such medicines only under restrictions."),
    "no": _l("Travellers generally may not bring such medicines."),
}
TRANSIT_LABELS = {
    "same-as-entry": _l("Travellers in transit need the same documents as for entry."),
    "not-required": _l("Travellers in transit need no documents."),
    "own-rules": _l("Transit has rules of its own:"),
}
ROLE_LABELS = {
    "permits": _l("issues import permits to incoming travellers"),
    "certificates": _l("issues certificates to residents who travel"),
    "competent-authority": _l("competent authority"),
    "enquiries": _l("answers enquiries"),
    "exceptions": _l("grants exceptions"),
}
THRESHOLD_LABELS = {
    "always": _l("always"),
    "guideline": _l("above the guideline amount (Annex II/III)"),
    "amount": _l("above a set amount"),
    "days": _l("above a number of days of supply"),
}
TRAVELLERS_ALLOWED_CHOICE_LABELS = {"yes": _l("yes"), "restricted": _l("restricted"), "no": _l("no")}
TRANSIT_CHOICE_LABELS = {
    "same-as-entry": _l("same documents as for entry"),
    "not-required": _l("no documents needed"),
    "own-rules": _l("rules of its own (describe them)"),
}
ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    412: _l("Someone else published meanwhile"),
    413: _l("Too large"),
    422: _l("Not valid"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("Temporarily unavailable"),
}
ERROR_HELP = {
    404: _l("There is nothing at this address. Countries are at /countries/ followed by their two-letter code (for example /countries/FR); substances at /substances/ followed by their name."),
    500: _l("The error was recorded. Please try again in a moment."),
}


def country_name(code: str) -> str:
    """A country's name in the page's language (pycountry's translation), or its code."""
    found = reference.country(code)
    return found.name(language()) if found else code


def substance_name(key: str) -> str:
    found = reference.substance(key)
    return found.name(language()) if found else key


def substance_key(text: str) -> str | None:
    """The key of the substance a person typed, by any of its names in any language and case ("Methylphenidate",
    "哌甲酯", "Méthylphénidate"), or None (registry/search.py)."""
    return search.substance_key(text)


def close_substances(text: str, limit: int = 3) -> list[str]:
    """The keys of the substances whose names are closest to what was typed (a misspelling), best first."""
    return search.close_substances(text, limit)


def schedule_class_key(text: str) -> str | None:
    """A schedule class typed in any case ("1961-i" → "1961-I"), or None."""
    wanted = text.strip().upper() if isinstance(text, str) else ""
    return next((item for item in reference.SCHEDULE_CLASSES if item.upper() == wanted), None)


def applies_to_name(item: str) -> str:
    """A rule's `applies_to` entry: a schedule class or a substance, in words."""
    return str(SCHEDULE_CLASS_LABELS[item]) if item in SCHEDULE_CLASS_LABELS else substance_name(item)


def language_name(code: str) -> str:
    return Locale.parse(language()).languages.get(code, code)


def language_list(codes) -> str:
    """Language names as a list in the page's language: "French, English and Spanish", "法语、英语和西班牙语"."""
    return format_list([language_name(code) for code in codes], locale=language())


def pick(text: dict | None, languages=()) -> tuple[str, str] | None:
    """From a text in several languages, the one to show, with its language: the page's language if the
    country gave it, else the country's first language that the text has (`languages`, as
    country_languages gives them), else English, else the first in sorted order."""
    if not text:
        return None
    for lang in (language(), *languages, "en", sorted(text)[0]):
        if lang in text:
            return lang, text[lang]
    return None


def country_languages(code: str, document_languages=()) -> tuple[str, ...]:
    """The languages a country writes in, its first first: the languages its requirements accept documents in
    (`document_languages`, in the order notified), then its official languages as CLDR lists them."""
    return tuple(dict.fromkeys((*document_languages, *official_languages(code))))


@lru_cache(maxsize=None)
def official_languages(code: str) -> tuple[str, ...]:
    """A country's official languages, de facto ones included (English in the United States), by ISO 639-1 code
    ("sr_Latn" is "sr"), in CLDR's order."""
    return tuple(dict.fromkeys(tag.split("_")[0] for tag in get_official_languages(code, de_facto=True)))


# One way to write a date per language, everywhere: pages, console preview, check page. CLDR's long date
# ("5 mars 2026", "5 de marzo de 2026", "5 марта 2026 г.", "5 مارس 2026", "2026年3月5日"), except in English,
# whose CLDR form is American ("March 5, 2026"): the registry writes the day first, as the UN does.
DATE_PATTERNS = {"en": "d MMMM y"}  # 5 March 2026
TIME_PATTERN = "HH:mm 'UTC'"  # moments are stored in UTC and shown so, to the minute


@lru_cache(maxsize=None)
def date_pattern(lang: str) -> str:
    """The pattern of a day in a language: DATE_PATTERNS, else CLDR's long date format."""
    return DATE_PATTERNS.get(lang) or Locale.parse(lang).date_formats["long"].pattern


@lru_cache(maxsize=None)
def moment_pattern(lang: str) -> str:
    """The pattern of a moment: the day and the time, joined as CLDR joins them in that language."""
    joined = Locale.parse(lang).datetime_formats["long"]  # "{1}, {0}", "{1} {0}", "{1}، {0}"
    return joined.replace("{1}", date_pattern(lang)).replace("{0}", TIME_PATTERN)


def day(value: str | date | None) -> str:
    """A YYYY-MM-DD date, written the one way the page's language writes dates ("5 March 2026", "2026年3月5日")."""
    if not value:
        return ""
    return format_date(date.fromisoformat(value) if isinstance(value, str) else value, date_pattern(language()))


@lru_cache(maxsize=1)
def _collator() -> Collator:
    return Collator()  # the Unicode Collation Algorithm's default table (DUCET), as pyuca ships it


def sort_key(text: str) -> tuple:
    """The key to sort names people read by: the Unicode Collation Algorithm, so "Côte d'Ivoire" comes before "Czechia"."""
    return _collator().sort_key(str(text))


def by_country_name(codes) -> list[str]:
    """Country codes, sorted by the country's name in the page's language."""
    return sorted(codes, key=lambda code: sort_key(country_name(code)))


def moment(value: datetime) -> str:
    """A stored UTC moment, with its time zone said ("5 March 2026, 14:05 UTC", "2026年3月5日 14:05 UTC")."""
    return format_datetime(value, moment_pattern(language()))


def milligrams(value) -> str:
    return format_decimal(value) + " mg"


def lines(text: str) -> Markup:
    """Text that may hold line breaks, escaped, with the breaks kept."""
    return Markup("<br>").join(text.split("\n"))


def error_text(status: int, message: str | None) -> tuple[str, str | None]:
    """The title and the explanation of an error page, in the page's language."""
    from werkzeug.exceptions import default_exceptions

    title = str(ERROR_TITLES.get(status, status))
    generic = default_exceptions.get(status)
    if generic is not None and message == generic.description:
        # Werkzeug's stock English sentence: say it in the page's language instead.
        return title, str(ERROR_HELP[status]) if status in ERROR_HELP else None
    return title, message


def register(app) -> None:
    """Bind Flask-Babel, remember an explicit language choice, and give templates the helpers."""
    _Babel(app, locale_selector=select_language)

    @app.after_request
    def remember_language(response):
        # Only a page remembers the choice: a feed, API or file answer that shared caches keep must set no cookie.
        asked = request.args.get("lang")
        if asked in LANGUAGES and response.mimetype == "text/html" and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                                secure=app.config.get("SESSION_COOKIE_SECURE", False))
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response

    @app.context_processor
    def words():
        lang = language()
        return {
            "lang": lang,
            "html_lang": HTML_LANG[lang],
            "html_dir": direction(lang),
            "html_langs": HTML_LANG,
            "html_dirs": {code: direction(code) for code in LANGUAGES},
            "languages": LANGUAGE_NAMES,
            "switch_url": switch_url,
            "country_name": country_name,
            "substance_name": substance_name,
            "applies_to_name": applies_to_name,
            "language_name": language_name,
            "language_list": language_list,
            "pick": pick,
            "day": day,
            "moment": moment,
            "milligrams": milligrams,
            "lines": lines,
            "SECTION_LABELS": SECTION_LABELS,
            "DOCUMENT_KIND_LABELS": DOCUMENT_KIND_LABELS,
            "SCHEDULE_CLASS_LABELS": SCHEDULE_CLASS_LABELS,
            "SCHEDULE_CLASS_SHORT_LABELS": SCHEDULE_CLASS_SHORT_LABELS,
            "TRAVELLERS_ALLOWED_LABELS": TRAVELLERS_ALLOWED_LABELS,
            "TRANSIT_LABELS": TRANSIT_LABELS,
            "ROLE_LABELS": ROLE_LABELS,
            "THRESHOLD_LABELS": THRESHOLD_LABELS,
            "TRAVELLERS_ALLOWED_CHOICE_LABELS": TRAVELLERS_ALLOWED_CHOICE_LABELS,
            "TRANSIT_CHOICE_LABELS": TRANSIT_CHOICE_LABELS,
        }
