"""The traveller check: what a patient needs to carry controlled medicines on a trip, and why (docs/check.md).

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
from typing import Any, Mapping

from .. import reference
from ..documents import DOCUMENT_KINDS
from .notifications import Notifications, Notified, live
from .reasons import DISCLAIMER, Reason, Words, render
from .trip import Item, Trip

VERDICTS = ("no-documents-required", "documents-required", "prohibited")  # from best to worst
# ¶30: "not more than one retail package (usually 20 unit doses or fewer)" needs no prescription.
RETAIL_PACKAGE_UNIT_DOSES = 20
# Classes whose substances travellers may not carry unless a country names the class or the substance.
PROHIBITED_CLASSES = {
    "1961-IV": ("schedule-1961-iv", "guidelines ¶28"),
    # 1971 Convention art. 4(a): travellers may carry small quantities of preparations of psychotropic
    # substances other than those in Schedule I.
    "1971-I": ("schedule-1971-i", "1971 Convention, article 4(a)"),
}
SCHENGEN_SOURCE = "Schengen Convention, article 75"
SCHEDULE_III_SOURCE = "1961 Convention, Schedule III"
# Where a substance is found in none of the conventions' schedules (data/substances.json follows these lists).
INTERNATIONAL_LISTS_SOURCE = "INCB Yellow List and Green List"

# -- the result -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemResult:
    """What one medicine needs in one country, and why."""

    substance: str
    verdict: str
    documents: tuple[str, ...]
    reasons: tuple[Reason, ...]
    max_supply_days: int | None
    computed: Mapping[str, Any] | None = None  # how the total was counted from a strength per unit (Item.computed)
    not_controlled: tuple[str, ...] = ()  # the product's ingredients that nobody controls

    def as_json(self, words: Words = render) -> dict:
        return {
            "substance": self.substance,
            "verdict": self.verdict,
            "documents": list(self.documents),
            "max_supply_days": self.max_supply_days,
            "reasons": [reason.as_json(words) for reason in self.reasons],
            "computed": dict(self.computed) if self.computed is not None else None,
            "not_controlled": list(self.not_controlled),
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
    notices: tuple[Reason, ...] = ()  # about the information itself: a section overdue for confirmation

    def as_json(self, words: Words = render) -> dict:
        return {
            "country": self.country,
            "role": self.role,
            "verdict": self.verdict,
            "documents": list(self.documents),
            "based_on": [notified.as_json() for notified in self.based_on],
            "items": [item.as_json(words) for item in self.items],
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
            "notices": [reason.as_json(words) for reason in self.notices],
        }


@dataclass(frozen=True)
class CheckResult:
    """The answer for a whole trip: the worst verdict, every document, each country's detail."""

    verdict: str
    documents: tuple[str, ...]
    departure: str | None
    countries: tuple[CountryResult, ...]
    disclaimer: str = DISCLAIMER

    def as_json(self, words: Words = render, disclaimer: str | None = None) -> dict:
        """The result as the API and the exports give it (schemas/check-result.schema.json): each reason's text
        by `words` (English by default), the disclaimer as given (the English one by default)."""
        return {
            "verdict": self.verdict,
            "documents": list(self.documents),
            "departure": self.departure,
            "countries": [country.as_json(words) for country in self.countries],
            "disclaimer": self.disclaimer if disclaimer is None else disclaimer,
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
    requirements = live(notified, code, "requirements")
    bans = live(notified, code, "import-bans")
    authorities = live(notified, code, "authorities")
    document = requirements.document if requirements else {}
    decisions = [_item(item, code, role, trip, notified) for item in trip.items]
    items = tuple(
        ItemResult(item.substance, decision.verdict, _ordered(decision.documents), tuple(decision.reasons), limit,
                   item.computed, item.not_controlled)
        for item, (decision, limit) in zip(trip.items, decisions)
    )
    contact = sorted({wanted for decision, _ in decisions for wanted in decision.contact})
    issuer = trip.departure is not None and any(decision.certificate_issuer for decision, _ in decisions)
    departure_authorities = live(notified, trip.departure, "authorities") if issuer else None
    contacts = _contacts(authorities, ("permits", *contact, "enquiries")) + _contacts(departure_authorities, ("certificates",))
    leads = [decision.permit_lead_days for decision, _ in decisions if decision.permit_lead_days is not None]
    based_on = tuple(found for found in (requirements, authorities, bans, departure_authorities) if found is not None)
    return CountryResult(
        country=code,
        role=role,
        verdict=worst(item.verdict for item in items),
        documents=_ordered(kind for item in items for kind in item.documents),
        based_on=based_on,
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
        notices=tuple(_overdue(found) for found in based_on if found.overdue),
    )


def _overdue(found: Notified) -> Reason:
    """A version read for the answer that its country has not confirmed within the confirmation cycle."""
    return Reason("confirmation-overdue", found.source, {
        "country": found.country, "section": found.section, "months": found.standing.months_since,
        "due": found.standing.due.date().isoformat()})


def _item(item: Item, code: str, role: str, trip: Trip, notified: Notifications) -> tuple[_Decision, int | None]:
    """Decide one item in one country; returns the decision and the supply limit that applies."""
    decision = _Decision(code)
    requirements = live(notified, code, "requirements")
    carried = trip.carried_mg(item.substance)
    _preparation(item, decision)
    if carried != item.amount_mg:
        decision.say("amount-total", "guidelines ¶24", substance=item.substance, amount_mg=carried)
    entry_rules = _transit(code, requirements, decision) if role == "transit" else True
    _import_bans(item, live(notified, code, "import-bans"), decision)
    if decision.prohibited or not entry_rules:
        return decision, None
    if reference.substance(item.substance).national and not _names(requirements, item.substance):
        # No convention schedules it, so no default of the guidelines applies: only the country's own law.
        decision.say("not-under-international-control", INTERNATIONAL_LISTS_SOURCE, substance=item.substance, country=code)
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


def _names(requirements: Notified | None, substance: str) -> bool:
    """Whether the country's rules name the substance itself."""
    return requirements is not None and any(substance in rule["applies_to"] for rule in requirements.document["rules"])


def _preparation(item: Item, decision: _Decision) -> None:
    """Why a declared Schedule III preparation is not exempted (¶29): the Schedule names only some drugs' preparations,
    each within a strength per dosage unit or a concentration."""
    exemption = item.exemption
    if exemption in (None, "exempted") or reference.substance(item.substance).national:
        return
    params = {"substance": item.substance, "classes": list(item.classes)}
    if exemption == "not-listed":
        decision.say("preparation-not-exempted", SCHEDULE_III_SOURCE, **params)
        return
    decision.say(f"preparation-{'too-strong' if exemption == 'too-strong' else 'strength-unknown'}", SCHEDULE_III_SOURCE,
                 **params, **_schedule_iii_limits(item))


def _schedule_iii_limits(item: Item) -> dict:
    entry = reference.exempt_preparation(item.substance)
    return {"limit_unit_mg": entry.max_mg_per_unit, "limit_percent": entry.max_percent}


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
        decision.say("preparation-1961-iii", "guidelines ¶29", substance=item.substance, **_schedule_iii_limits(item))
        return
    annex_ii = [cls for cls in classes if cls in reference.ANNEX_CLASSES["II"]]
    if annex_ii:
        decision.need(["prescription"])
        decision.say("prescription-default", "guidelines ¶16", substance=item.substance, classes=annex_ii)
        amount = reference.guideline_amount_for(item.substance, item.form)
        if amount is None:
            # ¶26: the annex lists examples; above an amount it does not list, a certificate may be needed.
            decision.need(["certificate"])
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
    if within and {"certificate", "schengen-certificate"} & set(decision.documents):
        # ¶19: a certificate is issued on the basis of a prescription, so the prescription stays.
        decision.say("retail-package-certificate", "guidelines ¶19", unit_doses=item.unit_doses)
        return
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
