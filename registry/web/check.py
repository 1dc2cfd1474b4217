"""/check: the traveller check as a page, and the printable Annex I model certificate (issue 6).

The form is read into the very request body that POST /api/v1/check takes, and that body
goes through the same `trip.read_trip` and `rules.check` (registry/check/), so the page and the API can
never disagree. Rows are added and removed by submit buttons (a server round trip), so
the form works without JavaScript.

The form is sent with GET, so that a result can be bookmarked, printed, handed to the
physician and linked to its certificate. It names substances, amounts and countries,
never a person. Nothing is written or logged (the registry logs paths, never query
strings); the answer is `Cache-Control: no-store`, and `Referrer-Policy: no-referrer`
keeps the query out of every request the page leads to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext, lazy_gettext as _l

from .. import i18n, reference, search
from ..check import certificate as model_certificate, reasons, rules, trip as trips
from ..check.notifications import Notified, current_documents
from ..db import utcnow
from ..i18n import SECTION_LABELS, close_substances, country_name, language, milligrams, substance_name

bp = Blueprint("check_pages", __name__)

FIELD_MAX = 200  # characters kept of any typed value; more is a pasting accident
UNITS = {"mg": 1, "g": 1000}  # milligrams per unit
NUMBER = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,9})?")
# "1,5" is one and a half; "1,500" is ambiguous, so it stays text and the validator asks again.
DECIMAL_COMMA = re.compile(r"-?[0-9]{1,12},(?:[0-9]{1,2}|[0-9]{4,9})")
WHOLE = re.compile(r"-?[0-9]{1,9}")
ITEM_FIELDS = ("product", "substance", "amount", "unit", "unit_doses", "form", "preparation_class", "strength", "concentration", "prescription_days")
ITEM_KEY = re.compile(r"items\.([0-9]{1,2})\.(" + "|".join(ITEM_FIELDS) + ")")
# The request's field names that the form names differently.
FORM_FIELDS = {"amount_mg": "amount", "strength_mg": "strength", "concentration_percent": "concentration"}

VERDICT_LABELS = {
    "prohibited": _l("Prohibited"),
    "documents-required": _l("Documents required"),
    "no-documents-required": _l("No documents required"),
}
FORM_LABELS = {
    "tablet": _l("tablet"),
    "capsule": _l("capsule"),
    "oral-liquid": _l("oral liquid (solution, syrup)"),
    "oral-film": _l("oral film"),
    "sublingual": _l("sublingual tablet or film"),
    "lozenge": _l("lozenge"),
    "injection": _l("injection"),
    "transdermal-patch": _l("transdermal patch"),
    "suppository": _l("suppository"),
    "nasal-spray": _l("nasal spray"),
    "inhalation": _l("inhalation"),
}
PLACE_ROLE_LABELS = {"destination": _l("destination"), "transit": _l("transit")}
FIELD_LABELS = {
    "": _l("The trip"),
    "destination": _l("Country of destination"),
    "departure": _l("Country of departure"),
    "days": _l("Length of stay"),
    "transit": _l("Transit countries"),
    "items": _l("Medicines"),
}
ITEM_FIELD_LABELS = {
    "product": _l("medicine's name"),
    "substance": _l("substance"),
    "amount": _l("amount"),
    "unit": _l("unit"),
    "unit_doses": _l("number of unit doses"),
    "form": _l("dosage form"),
    "preparation_class": _l("Schedule III preparation"),
    "strength": _l("strength per unit dose"),
    "concentration": _l("concentration"),
    "prescription_days": _l("duration of the prescription"),
}
# The sources a reason may cite besides the guidelines and the countries' versions (docs/check.md).
SOURCES = {
    "1961 Convention, Schedule III": _l("1961 Convention, Schedule III"),
    "1971 Convention, article 4(a)": _l("1971 Convention, article 4(a)"),
    rules.SCHENGEN_SOURCE: _l("Schengen Convention, article 75"),
    rules.INTERNATIONAL_LISTS_SOURCE: _l("INCB Yellow List and Green List"),
}
VERSION_SOURCE = re.compile(r"([A-Z]{2}) (requirements|authorities|import-bans) version ([0-9]+)")


# -- the form --------------------------------------------------------------------------------------


@dataclass
class Medicine:
    """One medicine as typed in the form: a product and its units, or a substance with its total or its strength
    per unit and units."""

    product: str = ""
    substance: str = ""
    amount: str = ""
    unit: str = "mg"
    unit_doses: str = ""
    form: str = ""
    preparation_class: str = ""
    strength: str = ""
    concentration: str = ""
    prescription_days: str = ""

    @property
    def blank(self) -> bool:
        """A row left empty is not sent: an extra row never makes the request invalid."""
        return not (self.product or self.substance or self.amount or self.unit_doses)

    def body(self) -> dict:
        """The item as the API takes it: grams in milligrams, names as product and substance keys."""
        item = {}
        if self.product:
            item["product"] = search.product_key(self.product) or self.product
        if self.substance:
            item["substance"] = substance_key(self.substance)
        if self.amount:
            item["amount_mg"] = _milligrams(self.amount, self.unit)
        if self.unit_doses:
            item["unit_doses"] = _whole(self.unit_doses)
        if self.form:
            item["form"] = self.form
        if self.preparation_class:
            item["preparation_class"] = self.preparation_class
        if self.strength:
            item["strength_mg"] = _milligrams(self.strength, "mg")
        if self.concentration:
            item["concentration_percent"] = _milligrams(self.concentration.rstrip("% "), "mg")  # a plain number
        if self.prescription_days:
            item["prescription_days"] = _whole(self.prescription_days)
        return item


@dataclass
class TripForm:
    """The trip as typed: what the form shows again, and the request body it stands for."""

    destination: str = ""
    departure: str = ""
    days: str = ""
    transit: list[str] = field(default_factory=list)
    items: list[Medicine] = field(default_factory=lambda: [Medicine()])
    errors: dict[str, list[str]] = field(default_factory=dict)
    focus: str | None = None  # the field of a row just added

    @classmethod
    def read(cls, args) -> TripForm:
        """The form from a query string; every value kept as typed, bounded in length and count."""
        rows: dict[int, dict[str, str]] = {}
        for key in args:
            matched = ITEM_KEY.fullmatch(key)
            if matched and int(matched[1]) < trips.ITEMS_MAX:
                rows.setdefault(int(matched[1]), {})[matched[2]] = _typed(args.get(key))
        items = [Medicine(**rows.get(index, {})) for index in range(max(rows, default=0) + 1)]
        for medicine in items:
            medicine.unit = medicine.unit if medicine.unit in UNITS else "mg"
        return cls(
            destination=_typed(args.get("destination")),
            departure=_typed(args.get("departure")),
            days=_typed(args.get("days")),
            transit=[_typed(code) for code in args.getlist("transit")[:trips.TRANSIT_MAX]],
            items=items,
        )

    def act(self, action: str) -> None:
        """Add or remove a row, as the buttons ask ("add:items", "remove:transit.1")."""
        verb, _, target = action.partition(":")
        rows, limit = (self.items, trips.ITEMS_MAX) if target.split(".")[0] == "items" else (self.transit, trips.TRANSIT_MAX)
        if verb == "add" and target in ("items", "transit") and len(rows) < limit:
            rows.append(Medicine() if target == "items" else "")
            self.focus = f"{target}.{len(rows) - 1}" + (".substance" if target == "items" else "")
        elif verb == "remove" and re.fullmatch(r"(items|transit)\.[0-9]{1,2}", target):
            index = int(target.split(".")[1])
            if index < len(rows) and not (target.startswith("items") and len(rows) == 1):
                del rows[index]

    def body(self) -> dict:
        """The request body for POST /api/v1/check that this form stands for."""
        body = {"items": [item.body() for item in self.items if not item.blank]}
        if self.destination:
            body["destination"] = self.destination
        if self.departure:
            body["departure"] = self.departure
        transit = [code for code in self.transit if code]
        if transit:
            body["transit"] = transit
        if self.days:
            body["days"] = _whole(self.days)
        return body

    def file(self, problems: dict[str, list[str]], body: dict) -> None:
        """File the validator's problems, in words, under the form's fields: `items.0.amount_mg` of the
        request `body` is the amount of the first row that is not blank."""
        items = [index for index, item in enumerate(self.items) if not item.blank]
        transit = [index for index, code in enumerate(self.transit) if code]
        for path, messages in problems.items():
            self.errors.setdefault(_form_path(path, items, transit), []).extend(
                problem_in_words(path, message, body) for message in messages)

    def query(self) -> list[tuple[str, str]]:
        """The form as query arguments: what a link to this very trip carries."""
        pairs = [("destination", self.destination), ("departure", self.departure), ("days", self.days)]
        pairs += [("transit", code) for code in self.transit if code]
        for index, item in enumerate(item for item in self.items if not item.blank):
            pairs += [(f"items.{index}.{name}", getattr(item, name)) for name in ITEM_FIELDS if getattr(item, name)]
        return [(name, value) for name, value in pairs if value]


def _typed(value) -> str:
    return (value or "").strip()[:FIELD_MAX]


def _milligrams(text: str, unit: str):
    """Milligrams for an amount typed in mg or g; text that is not a number is passed on for the validator to name."""
    if DECIMAL_COMMA.fullmatch(text):
        text = text.replace(",", ".")
    if not NUMBER.fullmatch(text):
        return text
    # Decimal, so that 1.1 g is 1100 mg and not 1100.0000000000002.
    milligrams = Decimal(text) * UNITS[unit]
    return int(milligrams) if milligrams == milligrams.to_integral_value() else float(milligrams)


def _whole(text: str):
    return int(text) if WHOLE.fullmatch(text) else text


def _form_path(path: str, items: list[int], transit: list[int]) -> str:
    """The form field of a request path: rows renumbered past the blank ones, fields renamed."""
    parts = path.split(".")
    if len(parts) >= 2 and parts[0] in ("items", "transit") and parts[1].isdigit():
        rows = items if parts[0] == "items" else transit
        position = int(parts[1])
        parts[1] = str(rows[position]) if position < len(rows) else parts[1]
        if len(parts) == 3:
            parts[2] = FORM_FIELDS.get(parts[2], parts[2])
    return ".".join(parts)


# The validator's messages (registry/documents.py, registry/check/trip.py) as a person is told them on /check.
PROBLEM_WORDS = [
    (re.compile(r"This field is required\.|This field may not be null\."), _l("Fill this in.")),
    (re.compile(r"Must be a number of milligrams, not .*"), _l("Type a number, such as 200 or 1.5.")),
    (re.compile(r"Must be at least (?P<low>[0-9.]+) and at most (?P<high>[0-9.]+) mg; got .*"),
     _l("Type an amount of at least %(low)s mg and at most %(high)s mg.")),
    (re.compile(r"Must be a whole number, not .*"), _l("Type a whole number, such as 30.")),
    (re.compile(r"Must be between (?P<low>[0-9]+) and (?P<high>[0-9]+)(?: days)?; got .*"),
     _l("Type a whole number from %(low)s to %(high)s.")),
    (re.compile(r"Must be a percentage above 0 and at most 100\."), _l("Type a percentage above 0 and at most 100, such as 2.5.")),
    (re.compile(r".* is not a dosage form; .*"), _l("Choose a dosage form from the list.")),
    (re.compile(r".* is not a preparation class; .*"), _l("Tick the box or leave it empty.")),
    (re.compile(r"Country codes are upper case: .*|.* is not an ISO 3166-1 alpha-2 country code .*"),
     _l("Choose a country from the list.")),
    (re.compile(r"Must have at least 1 item\."), _l("Enter at least one medicine.")),
    (re.compile(r"Has [0-9]+ items; at most (?P<high>[0-9]+) are allowed\."), _l("Enter at most %(high)s.")),
    (re.compile(r".* is listed twice\."), _l("This country is already in the list.")),
    (re.compile(r"An item naming a product gives no .*"),
     _l("Give either the medicine's name or its substance, strength and amount, not both.")),
    (re.compile(r"With a product, give unit_doses: .*|With strength_mg and no amount_mg, give unit_doses: .*"),
     _l("Type the number of tablets, capsules, patches… you carry.")),
    (re.compile(r"Give a substance \(with amount_mg, or strength_mg and unit_doses\) or a product \(with unit_doses\)\."),
     _l("Type the medicine's name as on the box, or its substance.")),
    (re.compile(r"Give amount_mg, the total, or strength_mg and unit_doses\."),
     _l("Type the total amount, or the strength per unit dose and the number of unit doses.")),
]
def substance_key(text: str) -> str:
    """The key of the substance typed by any of its names, in any case; else the text, for the validator to name."""
    return i18n.substance_key(text) or text


def problem_in_words(path: str, message: str, body: dict) -> str:
    """A problem of the validator as a sentence about the field a person sees, in the page's language.

    The API answers with field paths and its own wording (registry/check/trip.py); a person gets the field's
    label from `field_label` and this sentence. A message no pattern knows is shown as the validator said it.
    """
    if path.endswith(".product") and " is not a known product key" in message:
        typed = _value(body, path)
        labels = [reference.product(key).label for key in search.close_products(str(typed))]
        if not labels:
            return gettext("We don't know ‘%(typed)s’.", typed=typed)
        return gettext("We don't know ‘%(typed)s’. Did you mean %(names)s?", typed=typed, names=_either(labels))
    if path.endswith(".substance") and " is not a known substance key" in message:
        typed = _value(body, path)
        known = [reference.substance(key).name(language()) for key in close_substances(str(typed))]
        if known:
            return gettext("‘%(typed)s’ is not a substance we know. Did you mean %(names)s?", typed=typed, names=_either(known))
        labels = [reference.product(key).label for key in search.close_products(str(typed))]
        if labels:
            return gettext("‘%(typed)s’ is not a substance we know. Did you mean the medicine %(names)s? Type it as the "
                           "medicine's name.", typed=typed, names=_either(labels))
        return gettext("‘%(typed)s’ is not a substance we know.", typed=typed)
    for pattern, words in PROBLEM_WORDS:
        matched = pattern.fullmatch(message)
        if matched:
            numbers = {name: format_decimal(Decimal(value)) for name, value in matched.groupdict().items()}
            return str(words) % numbers if numbers else str(words)
    return message


def _value(body: dict, path: str):
    value = body
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


def _either(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return gettext("%(names)s or %(last)s", names=gettext(", ").join(names[:-1]), last=names[-1])


def field_label(path: str) -> str:
    """A field of the form named in words, for the list of problems above it."""
    parts = path.split(".")
    if parts[0] == "items" and len(parts) >= 2 and parts[1].isdigit():
        medicine = gettext("Medicine %(number)s", number=int(parts[1]) + 1)
        if len(parts) == 3 and parts[2] in ITEM_FIELD_LABELS:
            return gettext("%(medicine)s: %(field)s", medicine=medicine, field=ITEM_FIELD_LABELS[parts[2]])
        return medicine
    if parts[0] == "transit" and len(parts) == 2 and parts[1].isdigit():
        return gettext("Transit country %(number)s", number=int(parts[1]) + 1)
    return str(FIELD_LABELS.get(path, path))


# -- showing a result ------------------------------------------------------------------------------------


def reason_text(reason: reasons.Reason) -> str:
    """A reason in the page's language (docs/check.md, "Reasons")."""
    lang = language()
    return reasons.render(reason, gettext, lang, i18n.catalog(lang).ngettext)


def source_label(source: str) -> tuple[str, str | None]:
    """A reason's source in the page's language, and the page it points to when it is a version."""
    version = VERSION_SOURCE.fullmatch(source)
    if version:
        code, section, number = version.groups()
        href = url_for("pages.version", country=code, section=section, number=int(number))
        return gettext("%(country)s, %(section)s, version %(number)s", country=country_name(code),
                       section=SECTION_LABELS[section], number=number), href
    if source.startswith("guidelines "):
        where = source.removeprefix("guidelines ")
        if where.startswith("¶"):
            return gettext("International Guidelines (2003), ¶%(paragraphs)s", paragraphs=where.removeprefix("¶")), None
        if where == "Annex I":
            return gettext("International Guidelines (2003), Annex I"), None
    return (str(SOURCES[source]) if source in SOURCES else source), None


def version_url(notified: Notified) -> str:
    return url_for("pages.version", country=notified.country, section=notified.section, number=notified.version)


def computation(item: trips.Item) -> str | None:
    """How an item's total was counted, in words ("Ritalin 10 mg × 60 = 600 mg methylphenidate"); None when it was given."""
    computed = item.computed
    if computed is None:
        return None
    what = reference.product(computed["product"]).label if computed["product"] else milligrams(computed["mg_per_unit"])
    return gettext("%(what)s × %(units)s = %(amount)s %(substance)s", what=what, units=format_decimal(computed["unit_doses"]),
                   amount=milligrams(computed["amount_mg"]), substance=substance_name(item.substance))


@lru_cache(maxsize=None)
def _product_labels() -> tuple[str, ...]:
    """Every product's label, each once, in order: the choices the product field offers."""
    return tuple(sorted({item.label for item in reference.products().values()}, key=i18n.sort_key))


@lru_cache(maxsize=None)
def _countries_by_name(lang: str) -> tuple[tuple[str, str], ...]:
    """Every country, as (code, name) in that language, in the order of the names."""
    named = ((code, place.name(lang)) for code, place in reference.countries().items())
    return tuple(sorted(named, key=lambda pair: i18n.sort_key(pair[1])))


def _private(body: str, status: int = 200):
    """A page that shows someone's treatment: no cache keeps it, no referrer carries its address away."""
    return body, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _render(form: TripForm, status: int = 200, **context):
    return _private(render_template(
        "check/check.html",
        form=form,
        countries=_countries_by_name(language()),
        substances=reference.substances(),
        products=_product_labels(),
        forms=FORM_LABELS,
        units=list(UNITS),
        items_max=trips.ITEMS_MAX,
        transit_max=trips.TRANSIT_MAX,
        field_label=field_label,
        **context,
    ), status)


@bp.get("/check")
def check_page():
    form = TripForm.read(request.args)
    action = request.args.get("action", "")
    if action:
        form.act(action)
        return _render(form)
    if "destination" not in request.args:
        return _render(form)
    try:
        trip = trips.read_trip(form.body())
    except trips.InvalidTrip as refusal:
        form.file(refusal.errors, form.body())
        return _render(form, 422)
    result = rules.check(trip, current_documents(trip.countries))
    return _render(
        form,
        trip=trip,
        result=result,
        checked_on=utcnow().date(),
        certificate_needed=model_certificate.needed(result),
        certificate_links=_certificate_links(form),
        certificate_languages=model_certificate.LANGUAGE_NAMES,
        VERDICT_LABELS=VERDICT_LABELS,
        PLACE_ROLE_LABELS=PLACE_ROLE_LABELS,
        disclaimer=gettext(result.disclaimer),
        reason_text=reason_text,
        computation=computation,
        source_label=source_label,
        version_url=version_url,
        languages_of=languages_of(result),
    )


def languages_of(result: rules.CheckResult) -> dict[str, tuple[str, ...]]:
    """The languages of each country the result names, its first first, that its notified texts fall back to
    (i18n.pick): those its requirements accept documents in, then its official ones."""
    notified = {country.country: country.languages["document_languages"] or () for country in result.countries}
    named = {authority["country"] for country in result.countries for authority in country.authorities}
    return {code: i18n.country_languages(code, notified.get(code, ())) for code in notified.keys() | named}


def _certificate_links(form: TripForm) -> dict[str, str]:
    """The certificate of this trip, in each language it is offered in."""
    base = url_for("check_pages.certificate")
    return {lang: f"{base}?{urlencode([*form.query(), ('cert_lang', lang)])}" for lang in model_certificate.LANGUAGES}


@bp.get("/check/certificate")
def certificate():
    form = TripForm.read(request.args)
    try:
        trip = trips.read_trip(form.body())
    except trips.InvalidTrip:
        # A changed or truncated link: show the trip in the form, with its problems.
        return redirect(f"{url_for('check_pages.check_page')}?{urlencode(form.query())}", 303)
    result = rules.check(trip, current_documents(trip.countries))
    asked = request.args.get("cert_lang")
    lang = asked if asked in model_certificate.LANGUAGES else language()
    return _private(render_template(
        "check/certificate.html",
        certificates=model_certificate.certificates(trip, result, lang),
        cert_lang=lang,
        labels=model_certificate.LABELS[lang],
        language_names=model_certificate.LANGUAGE_NAMES,
        links=_certificate_links(form),
        back=f"{url_for('check_pages.check_page')}?{urlencode(form.query())}",
        needed=model_certificate.needed(result),
    ))
