"""The traveller check: what a patient needs to carry controlled medicines on a trip, and why (issue 6).

Pure functions over the reference data and the current documents of the countries
on the trip — no HTTP, no database — so that the API, the /check page and the
exports decide alike. A surface reads the request with `read_trip`, fetches the
current versions of `trip.countries`, and calls `check(trip, notified)`.

Each country's own rules replace the guidelines' defaults (¶23–30) for the classes
and substances they name; where a country notified nothing, the defaults apply.
Every step of the decision leaves a `Reason`: a stable `code`, its parameters,
and its `source` — a paragraph of the guidelines ("guidelines ¶26") or the version
it was read from ("FR requirements version 3"). The English text is rendered from
the code's template, so a page can render it in another language (`render`).
The decision is documented in docs/check.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from marshmallow import ValidationError, fields

from . import reference
from .documents import (
    DAYS_MAX, DOCUMENT_KINDS, MESSAGES, MG_MAX, MG_MIN, Amount, Choice, CountryCode, DocumentSchema, SubstanceKey,
    UniqueList, WholeNumber,
)

VERDICTS = ("no-documents-required", "documents-required", "prohibited")  # from best to worst
ITEMS_MAX = 20
TRANSIT_MAX = 10
UNIT_DOSES_MAX = 100_000  # unit doses of one medicine; more is a typing error
# ¶30: "not more than one retail package (usually 20 unit doses or fewer)" needs no prescription.
RETAIL_PACKAGE_UNIT_DOSES = 20
# Preparations exempted under Schedule III of the 1961 Convention (¶29); the only class an item may name.
PREPARATION_CLASSES = ("1961-III",)
# Dosage forms a traveller may name; Annex II gives fentanyl a separate amount for transdermal patches.
FORMS = {
    "tablet": "tablets",
    "capsule": "capsules",
    "oral-liquid": "oral liquids",
    "oral-film": "oral films",
    "sublingual": "sublingual forms",
    "lozenge": "lozenges",
    "injection": "injections",
    "transdermal-patch": "transdermal patches",
    "suppository": "suppositories",
    "nasal-spray": "nasal sprays",
    "inhalation": "inhalations",
}
# Classes whose substances travellers may not carry unless a country names the class or the substance.
PROHIBITED_CLASSES = {
    "1961-IV": ("schedule-1961-iv", "guidelines ¶28"),
    # 1971 Convention art. 7: Schedule I substances are limited to science and very limited medical use.
    "1971-I": ("schedule-1971-i", "1971 Convention, article 7"),
}
SCHENGEN_SOURCE = "Schengen Convention, article 75"
DISCLAIMER = (
    "This check applies the notifications published in this registry and, where a country notified nothing, "
    "the defaults of the UN International Guidelines for National Regulations concerning Travellers under "
    "Treatment with Internationally Controlled Drugs (2003). It is not legal advice: the official texts of each "
    "country prevail. Confirm with the authorities named here before you travel."
)


# -- the request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One medicine carried: total milligrams of active substance in everything carried (¶24)."""

    substance: str
    amount_mg: float
    unit_doses: int | None = None
    form: str | None = None
    preparation_class: str | None = None

    @property
    def exempted(self) -> bool:
        """Whether the item is a Schedule III preparation (¶29): said so, and of a narcotic drug that can be in it."""
        schedules = reference.substance(self.substance).schedules
        return (self.preparation_class == "1961-III" and bool({"1961-I", "1961-II"} & set(schedules))
                and "1961-IV" not in schedules)

    @property
    def classes(self) -> tuple[str, ...]:
        """The schedule classes the item falls in: Schedule III of 1961 if exempted, else its substance's."""
        return ("1961-III",) if self.exempted else reference.substance(self.substance).schedules


@dataclass(frozen=True)
class Trip:
    """A validated request: where the traveller goes, through where, from where, with what."""

    destination: str
    items: tuple[Item, ...]
    departure: str | None = None
    transit: tuple[str, ...] = ()
    days: int | None = None

    def carried_mg(self, substance: str) -> float:
        """The total of a substance in everything carried, which the amounts are compared with (¶24)."""
        return sum(item.amount_mg for item in self.items if item.substance == substance)

    @property
    def countries(self) -> tuple[str, ...]:
        """Every country whose notification the check reads."""
        return tuple(dict.fromkeys((self.destination, *self.transit, *((self.departure,) if self.departure else ()))))


class InvalidTrip(ValueError):
    """A request that does not validate; `errors` maps field paths to plain sentences."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("The check request is not valid.")
        self.errors = errors


# The OpenAPI description states every bound, so that any request it allows is answered (the fuzz test asks).
COUNTRY_CODES = {"enum": list(reference.countries()), "description": "ISO 3166-1 alpha-2 code, upper case."}


class CheckItem(DocumentSchema):
    """One medicine in a check request."""

    substance = SubstanceKey(required=True, error_messages=MESSAGES, metadata={
        "description": "Substance key, as listed at /api/v1/substances.", "enum": list(reference.substances())})
    amount_mg = Amount(required=True, error_messages=MESSAGES, metadata={
        "description": "Milligrams of active substance in this medicine; the total of each substance counts (¶24).",
        "minimum": MG_MIN, "maximum": MG_MAX})
    unit_doses = WholeNumber(minimum=1, maximum=UNIT_DOSES_MAX, allow_none=True, load_default=None, metadata={
        "description": "Tablets, patches, ampoules… (¶30: 20 or fewer need no prescription).", "minimum": 1, "maximum": UNIT_DOSES_MAX})
    form = Choice(FORMS, what="dosage form", allow_none=True, load_default=None,
                  metadata={"description": "Annex II gives fentanyl a separate amount for transdermal patches."})
    preparation_class = Choice(PREPARATION_CLASSES, what="preparation class", allow_none=True, load_default=None, metadata={
        "description": "1961-III for a preparation exempted under Schedule III of the 1961 Convention (¶29)."})


class CheckRequest(DocumentSchema):
    """A traveller check request (CONTRACT, "Traveller check")."""

    destination = CountryCode(required=True, error_messages=MESSAGES, metadata=COUNTRY_CODES)
    departure = CountryCode(allow_none=True, load_default=None, metadata={
        **COUNTRY_CODES, "description": "Country of residence, where the medicine was obtained."})
    transit = UniqueList(CountryCode(metadata=COUNTRY_CODES), minimum=0, maximum=TRANSIT_MAX, unique=True, allow_none=True,
                         load_default=None, metadata={"description": "Countries crossed on the way, in order (¶34).",
                                                      "maxItems": TRANSIT_MAX, "uniqueItems": True})
    days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days", allow_none=True, load_default=None, metadata={
        "description": "Length of the stay, in days.", "minimum": 1, "maximum": DAYS_MAX})
    items = UniqueList(fields.Nested(CheckItem, error_messages={**MESSAGES, "type": "Must be an object."}),
                       minimum=1, maximum=ITEMS_MAX, unique=False, required=True, error_messages=MESSAGES,
                       metadata={"minItems": 1, "maxItems": ITEMS_MAX})


def read_trip(data: Any) -> Trip:
    """The trip in a request body, or InvalidTrip naming every offending field by its path."""
    if not isinstance(data, dict):
        raise InvalidTrip({"": ["The request must be a JSON object."]})
    try:
        loaded = CheckRequest().load(data)
    except ValidationError as error:
        problems: dict[str, list[str]] = {}
        _flatten(error.messages, "", problems)
        raise InvalidTrip(problems) from None
    return Trip(
        destination=loaded["destination"],
        departure=loaded["departure"],
        transit=tuple(loaded["transit"] or ()),
        days=loaded["days"],
        items=tuple(Item(**item) for item in loaded["items"]),
    )


def _flatten(messages, path: str, out: dict) -> None:
    if isinstance(messages, dict):
        for key, inner in messages.items():
            _flatten(inner, path if key == "_schema" else (f"{path}.{key}" if path else str(key)), out)
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        out.setdefault(path, []).extend(messages)
    else:
        for item in messages:
            _flatten(item, path, out)


# -- what the countries notified ------------------------------------------------------------------


@dataclass(frozen=True)
class Notified:
    """The current version of one section of a country's notification; `document` is None when withdrawn."""

    country: str
    section: str
    version: int
    seq: int
    document: Mapping[str, Any] | None

    @property
    def source(self) -> str:
        return f"{self.country} {self.section} version {self.version}"

    def as_json(self) -> dict:
        return {"country": self.country, "section": self.section, "version": self.version, "seq": self.seq}


Notifications = Mapping[str, Mapping[str, Notified]]  # country → section → current version


def _live(notified: Notifications, country: str, section: str) -> Notified | None:
    """The country's current version of the section, unless it was withdrawn."""
    found = notified.get(country, {}).get(section)
    return found if found is not None and found.document is not None else None


# -- reasons ------------------------------------------------------------------------------------------

# The English text of every reason, by code. Templates use named %-placeholders, as gettext
# catalogues do; `render` fills them with the reason's parameters named in words.
TEXTS = {
    # Prohibitions
    "schedule-1961-iv": "%(substance)s is in Schedule IV of the 1961 Convention: travellers may not carry it, even where the country of departure allows it.",
    "schedule-1971-i": "%(substance)s is in Schedule I of the 1971 Convention, limited to scientific and very limited medical use: travellers may not carry it.",
    "travellers-not-allowed": "%(country)s does not allow travellers to bring in medicines containing internationally controlled substances; only its authority can grant an exception.",
    "import-ban": "%(country)s prohibits the import of %(substance)s (article 13 of the 1971 Convention, since %(since)s), so travellers may not carry it (guidelines ¶28, ¶10); no special licence is granted.",
    "import-ban-licence": "%(country)s prohibits the import of %(substance)s (article 13 of the 1971 Convention, since %(since)s), so travellers may not carry it (guidelines ¶28, ¶10); its authority may grant a special licence case by case.",
    "import-ban-region": "%(country)s prohibits the import of %(substance)s in %(region)s (article 13 of the 1971 Convention): do not take it there.",
    # The item itself
    "preparation-not-exempted": "%(substance)s is not a narcotic drug whose preparations Schedule III of the 1961 Convention can exempt: the rules for %(classes)s apply.",
    "amount-total": "You carry %(amount_mg)s of %(substance)s in all your medicines; that total is what counts.",
    # Whose rules apply
    "no-notification": "%(country)s has not notified its requirements: the guidelines' defaults apply.",
    "requirements-withdrawn": "%(country)s withdrew its requirements: the guidelines' defaults apply until it notifies new ones.",
    "rules-not-covering": "The rules of %(country)s do not name %(substance)s or its schedule (%(classes)s): the guidelines' defaults apply.",
    "travellers-restricted": "%(country)s restricts travellers carrying controlled medicines: read its notes and ask its authority before you travel.",
    # The guidelines' defaults
    "prescription-default": "Carry the prescription for %(substance)s (%(classes)s).",
    "annex-ii-above": "You carry %(amount_mg)s of %(substance)s, more than the guidelines' Annex II amount of %(limit_mg)s%(form_scope)s: a certificate may be required.",
    "annex-ii-within": "You carry %(amount_mg)s of %(substance)s, not more than the guidelines' Annex II amount of %(limit_mg)s%(form_scope)s: no certificate is needed.",
    "annex-ii-none": "The guidelines list no Annex II amount for %(substance)s: a certificate may be required whatever the amount; ask the authority.",
    "annex-iii-above": "You carry %(amount_mg)s of %(substance)s, more than the guidelines' Annex III amount of %(limit_mg)s: a prescription is needed.",
    "annex-iii-within": "You carry %(amount_mg)s of %(substance)s, not more than the guidelines' Annex III amount of %(limit_mg)s: no prescription is needed.",
    "annex-iii-none": "The guidelines list no Annex III amount for %(substance)s: carry a prescription.",
    "preparation-1961-iii": "A preparation in Schedule III of the 1961 Convention may be carried without documents.",
    "retail-package": "You carry %(unit_doses)s unit doses, not more than one retail package (%(limit)s): no prescription is needed.",
    "retail-package-above": "You carry %(unit_doses)s unit doses, more than one retail package (%(limit)s): the prescription is needed.",
    "retail-package-not-exempt": "%(country)s does not exempt one retail package from the prescription: carry it even for %(unit_doses)s unit doses.",
    # A country's rules
    "rule-always": "%(country)s requires %(documents)s for %(applies)s.",
    "rule-guideline-above": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; you carry %(amount_mg)s, more than %(limit_mg)s%(form_scope)s.",
    "rule-guideline-within": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; you carry %(amount_mg)s, not more than %(limit_mg)s%(form_scope)s, so they are not needed.",
    "rule-guideline-no-amount": "%(country)s requires %(documents)s for %(applies)s above the guidelines' amount; the guidelines list none for %(substance)s, so carry them.",
    "rule-amount-above": "%(country)s requires %(documents)s for more than %(limit_mg)s of %(applies)s; you carry %(amount_mg)s.",
    "rule-amount-within": "%(country)s requires %(documents)s for more than %(limit_mg)s of %(applies)s; you carry %(amount_mg)s, so they are not needed.",
    "rule-days-above": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; your stay is %(days)s days.",
    "rule-days-within": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; your stay is %(days)s days, so they are not needed.",
    "rule-days-unknown": "%(country)s requires %(documents)s for %(applies)s when the supply is for more than %(limit_days)s days; the length of the stay was not given, so carry them.",
    "permit-lead-time": "Apply for the import permit of %(country)s at least %(lead_days)s days before you travel.",
    # Certificates
    "schengen-certificate": "Between two Schengen states (%(departure)s and %(country)s) the certificate is the Schengen certificate, issued in %(departure)s.",
    "schengen-certificate-outside": "The Schengen certificate is issued by a Schengen state to its residents; coming from %(departure)s, ask the authority of %(country)s what to carry instead.",
    "schengen-certificate-departure-unknown": "The Schengen certificate is issued by the Schengen state where you live; from outside the Schengen area, ask the authority of %(country)s what to carry instead.",
    "certificate-issuer": "The certificate is issued before you leave by the competent authority of %(departure)s (model in Annex I of the guidelines).",
    "certificate-issuer-unknown": "The certificate is issued before you leave by the competent authority of the country where you obtained the medicine (model in Annex I of the guidelines).",
    # Transit
    "transit-default": "Crossing %(country)s, you need the documents it requires of incoming travellers.",
    "transit-same-as-entry": "%(country)s asks travellers passing through for the same documents as on entry.",
    "transit-not-required": "%(country)s asks no documents of travellers passing through.",
    "transit-own-rules": "%(country)s has its own rules for travellers passing through (see its transit notes); its entry requirements are shown as the most it may ask.",
    # Supply
    "supply-within": "Your stay of %(days)s days is within the %(limit_days)s days' supply of %(substance)s that %(country)s accepts.",
    "supply-above": "Your stay of %(days)s days is longer than the %(limit_days)s days' supply of %(substance)s that %(country)s accepts: carry at most that, and continue the treatment there (see continuity of treatment).",
    "supply-within-guideline": "Your stay of %(days)s days is within the %(limit_days)s days of treatment the guidelines consider an adequate supply.",
    "supply-above-guideline": "Your stay of %(days)s days is longer than the %(limit_days)s days of treatment the guidelines consider an adequate supply%(anticonvulsants)s: plan to continue the treatment there (see continuity of treatment).",
}

DOCUMENT_NAMES = {
    "prescription": "a prescription",
    "physician-letter": "a letter from the treating physician",
    "certificate": "a certificate from the country of departure",
    "import-permit": "an import permit",
    "schengen-certificate": "a Schengen certificate",
    "customs-declaration": "a customs declaration",
}
CONVENTIONS = {"1961": "the 1961 Convention", "1971": "the 1971 Convention"}


@dataclass(frozen=True)
class Reason:
    """One step of a decision: what was found, with its parameters and where it comes from."""

    code: str
    source: str
    params: Mapping[str, Any]

    @property
    def text(self) -> str:
        return render(self)

    def as_json(self) -> dict:
        return {"code": self.code, "text": self.text, "source": self.source, "params": dict(self.params)}


def render(reason: Reason, translate: Callable[[str], str] = lambda text: text, lang: str = "en") -> str:
    """The reason in words: its template, passed through `translate`, filled with its parameters named in `lang`."""
    words = {name: _word(name, value, translate, lang) for name, value in reason.params.items()}
    if "amount_form" in reason.params:
        words["form_scope"] = _form_scope(reason.params, translate)
    if reason.code == "supply-above-guideline":
        words["anticonvulsants"] = translate(" (longer is acceptable for anticonvulsants)") if reason.params["psychotropic"] else ""
    return translate(TEXTS[reason.code]) % words


def _word(name: str, value, translate, lang: str) -> str:
    if value is None:
        return ""
    if name == "substance":
        return reference.substance(value).name(lang)
    if name in ("country", "departure"):
        return reference.country(value).name(lang)
    if name == "documents":
        return _join([translate(DOCUMENT_NAMES[kind]) for kind in value], translate)
    if name == "classes":
        return _join([_class(entry, translate) for entry in value], translate)
    if name == "applies":
        return _join([_class(entry, translate, members=True) if entry in reference.SCHEDULE_CLASSES
                      else reference.substance(entry).name(lang) for entry in value], translate)
    if name in ("amount_mg", "limit_mg"):
        return f"{_number(value)} mg"
    return str(value)


def _class(entry: str, translate, *, members: bool = False) -> str:
    convention, schedule = entry.split("-")
    template = "substances in Schedule %(schedule)s of %(convention)s" if members else "Schedule %(schedule)s of %(convention)s"
    return translate(template) % {"schedule": schedule, "convention": translate(CONVENTIONS[convention])}


def _form_scope(params: Mapping[str, Any], translate) -> str:
    """Which form an amount is for, when Annex II lists several for the substance (fentanyl)."""
    listed = [amount.form for amount in reference.guideline_amounts(params["substance"]) if amount.form]
    if not listed:
        return ""
    form = params.get("amount_form")
    if form:
        return translate(" for %(forms)s") % {"forms": translate(FORMS.get(form, form))}
    return translate(" for forms other than %(forms)s") % {"forms": _join([translate(FORMS.get(item, item)) for item in listed], translate)}


def _join(words: list[str], translate) -> str:
    if len(words) <= 1:
        return "".join(words)
    return translate("%(items)s and %(last)s") % {"items": translate(", ").join(words[:-1]), "last": words[-1]}


def _number(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0").rstrip(".")


# -- the result -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """What one medicine needs in one country, and why."""

    substance: str
    verdict: str
    documents: tuple[str, ...]
    reasons: tuple[Reason, ...]
    max_supply_days: int | None

    def as_json(self) -> dict:
        return {
            "substance": self.substance,
            "verdict": self.verdict,
            "documents": list(self.documents),
            "max_supply_days": self.max_supply_days,
            "reasons": [reason.as_json() for reason in self.reasons],
        }


@dataclass(frozen=True)
class CountryResult:
    """What the trip needs in one country (the destination or a transit country), and whom to ask."""

    country: str
    role: str
    verdict: str
    documents: tuple[str, ...]
    based_on: tuple[Notified, ...]
    items: tuple[ItemResult, ...]
    authorities: tuple[Mapping[str, Any], ...]
    languages: Mapping[str, Any]
    customs: Mapping[str, Any]
    continuity: Mapping[str, Any]
    max_supply_days: int
    permit_lead_days: int | None
    travellers_allowed: str | None
    transit: str | None
    transit_notes: Mapping[str, str] | None
    notes: Mapping[str, str] | None

    def as_json(self) -> dict:
        return {
            "country": self.country,
            "role": self.role,
            "verdict": self.verdict,
            "documents": list(self.documents),
            "based_on": [notified.as_json() for notified in self.based_on],
            "items": [item.as_json() for item in self.items],
            "authorities": [dict(authority) for authority in self.authorities],
            "languages": dict(self.languages),
            "customs": dict(self.customs),
            "continuity": dict(self.continuity),
            "max_supply_days": self.max_supply_days,
            "permit_lead_days": self.permit_lead_days,
            "travellers_allowed": self.travellers_allowed,
            "transit": self.transit,
            "transit_notes": self.transit_notes,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class CheckResult:
    """The answer for a whole trip: the worst verdict, every document, each country's detail."""

    verdict: str
    documents: tuple[str, ...]
    departure: str | None
    countries: tuple[CountryResult, ...]
    disclaimer: str = DISCLAIMER

    def as_json(self) -> dict:
        """The result as the API and the exports give it (schemas/check-result.schema.json)."""
        return {
            "verdict": self.verdict,
            "documents": list(self.documents),
            "departure": self.departure,
            "countries": [country.as_json() for country in self.countries],
            "disclaimer": self.disclaimer,
        }


def worst(verdicts) -> str:
    """The most restrictive verdict: prohibited > documents-required > no-documents-required."""
    return max(verdicts, key=VERDICTS.index, default=VERDICTS[0])


def _ordered(documents) -> tuple[str, ...]:
    present = set(documents)
    return tuple(kind for kind in DOCUMENT_KINDS if kind in present)


# -- the decision ---------------------------------------------------------------------------------------


def check(trip: Trip, notified: Notifications) -> CheckResult:
    """Decide what the trip needs: the destination first, then each transit country in order."""
    places = [(trip.destination, "destination"), *((code, "transit") for code in trip.transit)]
    countries = tuple(_country(code, role, trip, notified) for code, role in places)
    return CheckResult(
        verdict=worst(country.verdict for country in countries),
        documents=_ordered(kind for country in countries for kind in country.documents),
        departure=trip.departure,
        countries=countries,
    )


class _Decision:
    """What is being decided for one item in one country, step by step."""

    def __init__(self, country: str):
        self.country = country
        self.documents: list[str] = []
        self.reasons: list[Reason] = []
        self.prohibited = False
        self.contact: set[str] = set()  # authority roles the traveller should write to
        self.certificate_issuer = False  # the departure country's authority issues a certificate
        self.permit_lead_days: int | None = None

    def say(self, code: str, source: str, **params) -> None:
        self.reasons.append(Reason(code, source, params))

    def need(self, documents) -> None:
        self.documents.extend(kind for kind in documents if kind not in self.documents)

    def prohibit(self, code: str, source: str, *, contact: tuple[str, ...] = (), **params) -> None:
        self.prohibited = True
        self.documents.clear()
        self.contact.update(contact)
        self.say(code, source, **params)

    @property
    def verdict(self) -> str:
        if self.prohibited:
            return "prohibited"
        return "documents-required" if self.documents else "no-documents-required"


def _country(code: str, role: str, trip: Trip, notified: Notifications) -> CountryResult:
    """Decide every item in one country, and gather whom to ask and what else it said."""
    requirements = _live(notified, code, "requirements")
    bans = _live(notified, code, "import-bans")
    authorities = _live(notified, code, "authorities")
    document = requirements.document if requirements else {}
    decisions = [_item(item, code, role, trip, notified) for item in trip.items]
    items = tuple(
        ItemResult(item.substance, decision.verdict, _ordered(decision.documents), tuple(decision.reasons), limit)
        for item, (decision, limit) in zip(trip.items, decisions)
    )
    contact = sorted({wanted for decision, _ in decisions for wanted in decision.contact})
    issuer = trip.departure is not None and any(decision.certificate_issuer for decision, _ in decisions)
    departure_authorities = _live(notified, trip.departure, "authorities") if issuer else None
    contacts = _contacts(authorities, ("permits", *contact, "enquiries")) + _contacts(departure_authorities, ("certificates",))
    leads = [decision.permit_lead_days for decision, _ in decisions if decision.permit_lead_days is not None]
    return CountryResult(
        country=code,
        role=role,
        verdict=worst(item.verdict for item in items),
        documents=_ordered(kind for item in items for kind in item.documents),
        based_on=tuple(found for found in (requirements, authorities, bans, departure_authorities) if found is not None),
        items=items,
        authorities=contacts,
        languages=_languages(requirements),
        customs=_customs(requirements),
        continuity=_continuity(requirements),
        max_supply_days=document.get("max_supply_days", reference.supply_rule()["days"]),
        permit_lead_days=max(leads) if leads else None,
        travellers_allowed=document.get("travellers_allowed"),
        transit=(document.get("transit", "same-as-entry") if role == "transit" else None),
        transit_notes=document.get("transit_notes") if role == "transit" else None,
        notes=document.get("notes"),
    )


def _item(item: Item, code: str, role: str, trip: Trip, notified: Notifications) -> tuple[_Decision, int | None]:
    """Decide one item in one country; returns the decision and the supply limit that applies."""
    decision = _Decision(code)
    requirements = _live(notified, code, "requirements")
    carried = trip.carried_mg(item.substance)
    if item.preparation_class is not None and not item.exempted:
        decision.say("preparation-not-exempted", "1961 Convention, Schedule III", substance=item.substance, classes=list(item.classes))
    if carried != item.amount_mg:
        decision.say("amount-total", "guidelines ¶24", substance=item.substance, amount_mg=carried)
    entry_rules = _transit(code, requirements, decision) if role == "transit" else True
    _import_bans(item, _live(notified, code, "import-bans"), decision)
    if decision.prohibited or not entry_rules:
        return decision, None
    if requirements is None:
        withdrawn = notified.get(code, {}).get("requirements")
        if withdrawn is not None:
            decision.say("requirements-withdrawn", withdrawn.source, country=code)
        else:
            decision.say("no-notification", "guidelines ¶23–30", country=code)
        _defaults(item, carried, decision)
    else:
        _country_rules(item, carried, requirements, trip.days, decision)
    if decision.prohibited:
        return decision, None
    _retail_package(item, requirements, decision)
    _certificate(code, trip.departure, decision)
    return decision, _supply(item, requirements, trip.days, decision)


def _transit(code: str, requirements: Notified | None, decision: _Decision) -> bool:
    """Say what the transit country asks of travellers passing through (¶34); False when nothing."""
    mode = requirements.document.get("transit") if requirements else None
    if mode is None:
        decision.say("transit-default", "guidelines ¶34", country=code)
    elif mode == "not-required":
        decision.say("transit-not-required", requirements.source, country=code)
        return False
    else:
        decision.say(f"transit-{mode}", requirements.source, country=code)
    return True


def _import_bans(item: Item, bans: Notified | None, decision: _Decision) -> None:
    """An article 13 ban of the substance prohibits travellers from carrying it too (¶28, ¶10)."""
    for ban in bans.document["bans"] if bans else ():
        if ban["substance"] != item.substance:
            continue
        if ban["region"] is not None:
            # The check does not know where in the country the traveller goes: warn, do not prohibit.
            decision.say("import-ban-region", bans.source, country=decision.country, substance=item.substance, region=ban["region"])
        elif ban["special_licence"]:
            decision.prohibit("import-ban-licence", bans.source, contact=("permits", "exceptions"),
                              country=decision.country, substance=item.substance, since=ban["since"])
        else:
            decision.prohibit("import-ban", bans.source, country=decision.country, substance=item.substance, since=ban["since"])


def _defaults(item: Item, carried: float, decision: _Decision, *, only: tuple[str, ...] | None = None) -> None:
    """The guidelines' defaults (¶16, ¶26–29) for the item's classes (or only those named)."""
    classes = [cls for cls in item.classes if only is None or cls in only]
    for cls in classes:
        if cls in PROHIBITED_CLASSES:
            code, source = PROHIBITED_CLASSES[cls]
            decision.prohibit(code, source, substance=item.substance)
            return
    if "1961-III" in classes:
        decision.say("preparation-1961-iii", "guidelines ¶29", substance=item.substance)
        return
    annex_ii = [cls for cls in classes if cls in reference.ANNEX_CLASSES["II"]]
    if annex_ii:
        decision.need(["prescription"])
        decision.say("prescription-default", "guidelines ¶16", substance=item.substance, classes=annex_ii)
        amount = reference.guideline_amount_for(item.substance, item.form)
        if amount is None:
            decision.say("annex-ii-none", "guidelines ¶26", substance=item.substance)
        else:
            above = carried > amount.amount_mg
            if above:
                decision.need(["certificate"])
            decision.say("annex-ii-above" if above else "annex-ii-within", f"guidelines {amount.paragraph}",
                         **_amounts(item, carried, amount))
    if any(cls in reference.ANNEX_CLASSES["III"] for cls in classes):
        amount = reference.guideline_amount_for(item.substance, item.form)
        if amount is None:
            decision.need(["prescription"])
            decision.say("annex-iii-none", "guidelines ¶27", substance=item.substance)
        else:
            above = carried > amount.amount_mg
            if above:
                decision.need(["prescription"])
            decision.say("annex-iii-above" if above else "annex-iii-within", f"guidelines {amount.paragraph}",
                         **_amounts(item, carried, amount))


def _amounts(item: Item, carried: float, amount: reference.GuidelineAmount) -> dict:
    return {"substance": item.substance, "amount_mg": carried, "limit_mg": amount.amount_mg, "amount_form": amount.form}


def _country_rules(item: Item, carried: float, requirements: Notified, days: int | None, decision: _Decision) -> None:
    """A country's rules replace the defaults for the classes and substances they name."""
    document, source, code = requirements.document, requirements.source, decision.country
    if document["travellers_allowed"] == "no":
        decision.prohibit("travellers-not-allowed", source, contact=("exceptions",), country=code)
        return
    if document["travellers_allowed"] == "restricted":
        decision.say("travellers-restricted", source, country=code)
    named = {entry for rule in document["rules"] for entry in rule["applies_to"]}
    if item.substance not in named:
        # A prohibiting class stays prohibited unless the country names that class itself:
        # naming 1961-I does not admit the 1961-IV drugs that are also in it.
        unnamed = tuple(cls for cls in item.classes if cls in PROHIBITED_CLASSES and cls not in named)
        if unnamed:
            _defaults(item, carried, decision, only=unnamed)
            return
    rules = [rule for rule in document["rules"] if set(rule["applies_to"]) & {item.substance, *item.classes}]
    if not rules:
        decision.say("rules-not-covering", source, country=code, substance=item.substance, classes=list(item.classes))
        _defaults(item, carried, decision)
        return
    for rule in rules:
        _rule(rule, item, carried, days, source, decision)


def _rule(rule: Mapping[str, Any], item: Item, carried: float, days: int | None, source: str, decision: _Decision) -> None:
    """One rule of a country: its documents when its threshold is met, and why."""
    params = {
        "country": decision.country,
        "documents": list(rule["documents"]),
        "applies": [entry for entry in rule["applies_to"] if entry == item.substance or entry in item.classes],
    }
    threshold = rule["threshold"]
    if threshold == "always":
        met, code = True, "rule-always"
    elif threshold == "guideline":
        amount = reference.guideline_amount_for(item.substance, item.form)
        if amount is None:
            # No guideline amount to compare with: safer to carry the documents than to be turned back.
            met, code = True, "rule-guideline-no-amount"
            params["substance"] = item.substance
        else:
            met = carried > amount.amount_mg
            code = "rule-guideline-above" if met else "rule-guideline-within"
            params.update(_amounts(item, carried, amount))
    elif threshold == "amount":
        met = carried > rule["threshold_mg"]
        code = "rule-amount-above" if met else "rule-amount-within"
        params.update(amount_mg=carried, limit_mg=rule["threshold_mg"])
    else:  # "days": a supply longer than threshold_days
        params["limit_days"] = rule["threshold_days"]
        if days is None:
            met, code = True, "rule-days-unknown"
        else:
            met = days > rule["threshold_days"]
            code = "rule-days-above" if met else "rule-days-within"
            params["days"] = days
    decision.say(code, source, **params)
    if not met:
        return
    decision.need(rule["documents"])
    if "import-permit" in rule["documents"] and rule.get("permit_lead_days"):
        decision.say("permit-lead-time", source, country=decision.country, lead_days=rule["permit_lead_days"])
        decision.permit_lead_days = max(decision.permit_lead_days or 0, rule["permit_lead_days"])


def _retail_package(item: Item, requirements: Notified | None, decision: _Decision) -> None:
    """Not more than one retail package needs no prescription (¶30), unless the country says otherwise."""
    if "prescription" not in decision.documents or item.unit_doses is None:
        return
    exemption = requirements.document.get("retail_package_exemption") if requirements else None
    source = requirements.source if exemption is not None else "guidelines ¶30"
    within = item.unit_doses <= RETAIL_PACKAGE_UNIT_DOSES
    if exemption is False:
        if within:
            decision.say("retail-package-not-exempt", source, country=decision.country, unit_doses=item.unit_doses)
        return
    if within:
        decision.documents.remove("prescription")
        decision.say("retail-package", source, unit_doses=item.unit_doses, limit=RETAIL_PACKAGE_UNIT_DOSES)
    else:
        decision.say("retail-package-above", source, unit_doses=item.unit_doses, limit=RETAIL_PACKAGE_UNIT_DOSES)


def _certificate(code: str, departure: str | None, decision: _Decision) -> None:
    """Who issues a needed certificate; between two Schengen states it is the Schengen certificate."""
    schengen = reference.schengen_states()
    if "certificate" in decision.documents and departure in schengen and code in schengen:
        decision.documents[decision.documents.index("certificate")] = "schengen-certificate"
        decision.documents = list(dict.fromkeys(decision.documents))
        decision.say("schengen-certificate", SCHENGEN_SOURCE, departure=departure, country=code)
    if "schengen-certificate" in decision.documents and departure not in schengen:
        if departure is None:
            decision.say("schengen-certificate-departure-unknown", SCHENGEN_SOURCE, country=code)
        else:
            decision.say("schengen-certificate-outside", SCHENGEN_SOURCE, departure=departure, country=code)
    if "certificate" in decision.documents or ("schengen-certificate" in decision.documents and departure in schengen):
        decision.certificate_issuer = True
        if departure is None:
            decision.say("certificate-issuer-unknown", "guidelines Annex I")
        else:
            decision.say("certificate-issuer", "guidelines Annex I", departure=departure)


def _supply(item: Item, requirements: Notified | None, days: int | None, decision: _Decision) -> int:
    """The longest supply the country accepts for the substance (¶23), compared with the stay."""
    rule = reference.supply_rule()
    document = requirements.document if requirements else {}
    exceptions = [entry["max_supply_days"] for entry in document.get("supply_exceptions", [])
                  if item.substance in entry["substances"]]
    limit = max(exceptions) if exceptions else document.get("max_supply_days")
    if limit is None:
        limit = rule["days"]
        if days is not None:
            psychotropic = any(cls.startswith("1971") for cls in item.classes)
            code = "supply-above-guideline" if days > limit else "supply-within-guideline"
            decision.say(code, f"guidelines {rule['paragraph']}", days=days, limit_days=limit, psychotropic=psychotropic)
        return limit
    if days is not None:
        decision.say("supply-above" if days > limit else "supply-within", requirements.source,
                     days=days, limit_days=limit, substance=item.substance, country=decision.country)
    return limit


# -- what each country says besides the rules ------------------------------------------------------------


def _contacts(authorities: Notified | None, roles: tuple[str, ...]) -> tuple[dict, ...]:
    """The authorities of a country that serve any of these roles, each once, as the traveller contacts them."""
    if authorities is None:
        return ()
    wanted = list(dict.fromkeys(roles))
    entries = authorities.document["authorities"]
    if not any(set(wanted) & set(entry["roles"]) for entry in entries):
        wanted = ["competent-authority"]  # a country that names no such office still names its competent authority
    found = []
    for entry in entries:
        serves = [role for role in wanted if role in entry["roles"]]
        if serves:
            found.append({
                "country": authorities.country,
                "roles": serves,
                "name": entry["name"],
                "address": entry["address"],
                "phone": entry.get("phone"),
                "fax": entry.get("fax"),
                "email": entry.get("email"),
                "website": entry.get("website"),
                "languages": entry.get("languages", []),
                "notes": entry.get("notes"),
            })
    return tuple(found)


def _languages(requirements: Notified | None) -> dict:
    """Which languages the documents may be in (¶20)."""
    if requirements is None or "document_languages" not in requirements.document:
        # ¶20: prescriptions in the prescribing country's language, certificates preferably in English, French or Spanish.
        return {"document_languages": None, "translation_required": None, "source": "guidelines ¶20"}
    return {
        "document_languages": list(requirements.document["document_languages"]),
        "translation_required": requirements.document.get("translation_required"),
        "source": requirements.source,
    }


def _customs(requirements: Notified | None) -> dict:
    """What customs expects of the traveller (¶32–33); by default, show the documents on request."""
    if requirements is None:
        return {"declare_on_entry": False, "endorsement": False, "show_on_request": True, "source": "guidelines ¶32"}
    customs = requirements.document["customs"]
    return {
        "declare_on_entry": customs["declare_on_entry"],
        "endorsement": customs["endorsement"],
        "show_on_request": customs["show_on_request"],
        "source": requirements.source,
    }


def _continuity(requirements: Notified | None) -> dict:
    """How treatment can continue in the country beyond the supply carried (¶23)."""
    continuity = requirements.document.get("treatment_continuity") if requirements else None
    if continuity is None:
        return {"extension_possible": None, "how": None, "source": f"guidelines {reference.supply_rule()['paragraph']}"}
    return {"extension_possible": continuity["extension_possible"], "how": continuity.get("how"), "source": requirements.source}
