"""The traveller check's table of cases: every rule with its paragraph, in both directions.

Shared by tests/check/test_rules.py (the rules module), tests/api/test_check.py (the
same cases published and asked through the API, which must answer identically) and
tests/web/test_check_page.py (the same cases asked through the page).
Each case publishes some sections, in order, and names what one item must get in
one country: its verdict, its documents, and the reason (code, source) that says why.
"""
from dataclasses import dataclass

from registry.check import rules, trip as trips
from registry.check.notifications import Notifications, Notified

from . import factories
from .api import put

NOWHERE = "NZ"  # a country that notified nothing in these cases


def item(substance: str, amount_mg, **fields) -> dict:
    return {"substance": substance, "amount_mg": amount_mg, **fields}


def product(key: str, unit_doses: int, **fields) -> dict:
    """A medicine named by its product (data/products.json) and the number of units carried."""
    return {"product": key, "unit_doses": unit_doses, **fields}


def per_unit(substance: str, strength_mg, unit_doses: int, **fields) -> dict:
    """A medicine named by its substance, its strength per unit and the number of units carried."""
    return {"substance": substance, "strength_mg": strength_mg, "unit_doses": unit_doses, **fields}


RITALIN, CONCERTA = "ritalin-10-mg-tablet", "concerta-36-mg-prolonged-release-tablet"
SUBOXONE, DUROGESIC = "suboxone-8-mg-2-mg-sublingual-tablet", "durogesic-dtrans-50-microgram-per-hour-patch"
CO_CODAMOL, TRAMAL = "co-codamol-30-mg-500-mg-tablet", "tramal-50-mg-capsule"


def trip(*items: dict, destination: str = NOWHERE, **fields) -> dict:
    return {"destination": destination, "items": list(items), **fields}


def rule(applies_to, documents, threshold: str = "always", **fields) -> dict:
    return {"applies_to": list(applies_to), "documents": list(documents), "threshold": threshold, **fields}


def requirements(*rules: dict, **fields) -> dict:
    """A country's requirements with only these rules and no supply exceptions, unless given."""
    return factories.requirements(rules=list(rules), supply_exceptions=fields.pop("supply_exceptions", []), **fields)


def authorities(country: str, *roles_per_office: list[str]) -> dict:
    offices = []
    for number, roles in enumerate(roles_per_office, 1):
        office = factories.authorities()["authorities"][0]
        office.update(roles=roles, name=f"Office {number} of {country}")
        office["address"]["country"] = country
        offices.append(office)
    return factories.authorities(authorities=offices)


def bans(*entries: dict) -> dict:
    return factories.import_bans(bans=list(entries))


def ban(substance: str, *, special_licence: bool = False, region=None) -> dict:
    return {"substance": substance, "since": "2019-05-01", "region": region, "special_licence": special_licence, "reference": "NAR/CL.4/2019"}


@dataclass(frozen=True)
class Case:
    """A trip, what was published before it (country, section, document; None withdraws), and what one item gets."""

    id: str
    trip: dict
    verdict: str
    documents: tuple[str, ...]
    reason: tuple[str, str]
    published: tuple[tuple[str, str, dict | None], ...] = ()
    country: str | None = None  # the country whose item is examined; the destination by default
    item: int = 0

    @property
    def where(self) -> str:
        return self.country or self.trip["destination"]


NONE, DOCS, NO = "no-documents-required", "documents-required", "prohibited"
RX, CERT, PERMIT, LETTER, SCHENGEN = "prescription", "certificate", "import-permit", "physician-letter", "schengen-certificate"

FR_CERTIFICATE = ("FR", "requirements", requirements(rule(["1971-II"], [CERT], "guideline")))
DE_OFFICES = ("DE", "authorities", authorities("DE", ["certificates"], ["enquiries"]))

CASES = [
    # -- guideline defaults, where the country notified nothing --------------------------------------
    Case("annex-ii-at-the-amount-needs-no-certificate", trip(item("methylphenidate", 2000)), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("annex-ii-just-above-needs-a-certificate", trip(item("methylphenidate", 2000.5)), DOCS, (RX, CERT), ("annex-ii-above", "guidelines ¶26")),
    Case("fentanyl-patches-at-100-mg", trip(item("fentanyl", 100, form="transdermal-patch")), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("fentanyl-patches-above-100-mg", trip(item("fentanyl", 101, form="transdermal-patch")), DOCS, (RX, CERT), ("annex-ii-above", "guidelines ¶26")),
    Case("fentanyl-tablets-at-20-mg", trip(item("fentanyl", 20, form="tablet")), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("fentanyl-tablets-above-20-mg", trip(item("fentanyl", 21, form="tablet")), DOCS, (RX, CERT), ("annex-ii-above", "guidelines ¶26")),
    Case("fentanyl-of-unnamed-form-counts-as-other-forms", trip(item("fentanyl", 21)), DOCS, (RX, CERT), ("annex-ii-above", "guidelines ¶26")),
    # ¶26: the annex lists examples; with no amount listed, the certificate may be needed at any amount: carry it.
    Case("narcotic-without-annex-amount-needs-a-prescription-and-a-certificate", trip(item("sufentanil", 5)), DOCS, (RX, CERT),
         ("annex-ii-none", "guidelines ¶26")),
    Case("narcotic-needs-a-prescription", trip(item("morphine", 100)), DOCS, (RX,), ("prescription-default", "guidelines ¶16")),
    Case("annex-iii-at-the-amount-needs-nothing", trip(item("diazepam", 300)), NONE, (), ("annex-iii-within", "guidelines ¶27")),
    Case("annex-iii-just-above-needs-a-prescription", trip(item("diazepam", 300.5)), DOCS, (RX,), ("annex-iii-above", "guidelines ¶27")),
    Case("schedule-iv-without-annex-amount-needs-a-prescription", trip(item("alprazolam", 10)), DOCS, (RX,), ("annex-iii-none", "guidelines ¶27")),
    Case("schedule-iv-of-1961-is-prohibited", trip(item("heroin", 100)), NO, (), ("schedule-1961-iv", "guidelines ¶28")),
    Case("schedule-i-of-1971-is-prohibited", trip(item("lysergide", 1)), NO, (), ("schedule-1971-i", "1971 Convention, article 4(a)")),
    # ¶29 and Schedule III of the 1961 Convention: only named drugs' preparations, each within its strength.
    Case("schedule-iii-codeine-of-100-mg-a-unit-needs-nothing",
         trip(item("codeine", 600, preparation_class="1961-III", strength_mg=100, unit_doses=6)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-codeine-syrup-of-2-5-percent-needs-nothing",
         trip(item("codeine", 600, preparation_class="1961-III", concentration_percent=2.5)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-codeine-above-100-mg-a-unit-is-not-exempted",
         trip(item("codeine", 6500, preparation_class="1961-III", strength_mg=650)), DOCS, (RX,),
         ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-codeine-syrup-above-2-5-percent-is-not-exempted",
         trip(item("codeine", 600, preparation_class="1961-III", concentration_percent=3)), DOCS, (RX,),
         ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-without-the-strength-is-not-exempted", trip(item("codeine", 600, preparation_class="1961-III")), DOCS, (RX,),
         ("preparation-strength-unknown", "1961 Convention, Schedule III")),
    Case("schedule-iii-morphine-is-exempted-by-concentration-only", trip(item("morphine", 5000, preparation_class="1961-III", strength_mg=100)),
         DOCS, (RX, CERT), ("preparation-strength-unknown", "1961 Convention, Schedule III")),
    Case("schedule-iii-morphine-of-0-2-percent-needs-nothing", trip(item("morphine", 50, preparation_class="1961-III", concentration_percent=0.2)),
         NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-cocaine-above-0-1-percent-is-not-exempted", trip(item("cocaine", 50, preparation_class="1961-III", concentration_percent=0.5)),
         DOCS, (RX, CERT), ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-claimed-for-fentanyl-is-not-exempted", trip(item("fentanyl", 500, preparation_class="1961-III", strength_mg=1)),
         DOCS, (RX, CERT), ("preparation-not-exempted", "1961 Convention, Schedule III")),
    Case("schedule-iii-diphenoxylate-of-2-5-mg-a-unit-needs-nothing",
         trip(item("diphenoxylate", 50, preparation_class="1961-III", strength_mg=2.5)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    # Schedule III ¶1(b), ¶1(c), ¶2 and ¶5: the other drugs it names, at and above their limits.
    Case("schedule-iii-1b-propiram-of-100-mg-a-unit-needs-nothing",
         trip(item("propiram", 1000, preparation_class="1961-III", strength_mg=100)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-1c-dextropropoxyphene-of-135-mg-a-unit-needs-nothing",
         trip(item("dextropropoxyphene", 1350, preparation_class="1961-III", strength_mg=135)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-1c-dextropropoxyphene-above-135-mg-a-unit-is-not-exempted",
         trip(item("dextropropoxyphene", 1500, preparation_class="1961-III", strength_mg=150)), DOCS, (RX,),
         ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-2-opium-above-0-2-percent-is-not-exempted",
         trip(item("opium", 100, preparation_class="1961-III", concentration_percent=1)), DOCS, (RX, CERT),
         ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-5-difenoxin-of-0-5-mg-a-unit-needs-nothing",
         trip(item("difenoxin", 10, preparation_class="1961-III", strength_mg=0.5)), NONE, (), ("preparation-1961-iii", "guidelines ¶29")),
    Case("schedule-iii-5-difenoxin-of-1-mg-a-unit-is-not-exempted",
         trip(item("difenoxin", 20, preparation_class="1961-III", strength_mg=1)), DOCS, (RX, CERT),
         ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("schedule-iii-claimed-for-a-psychotropic-is-not-exempted", trip(item("diazepam", 400, preparation_class="1961-III")), DOCS, (RX,),
         ("preparation-not-exempted", "1961 Convention, Schedule III")),
    Case("schedule-iii-claimed-for-a-schedule-iv-drug-is-not-exempted", trip(item("heroin", 10, preparation_class="1961-III")), NO, (),
         ("preparation-not-exempted", "1961 Convention, Schedule III")),
    Case("two-medicines-of-one-substance-count-together", trip(item("fentanyl", 60, form="transdermal-patch"), item("fentanyl", 15, form="tablet")),
         DOCS, (RX, CERT), ("amount-total", "guidelines ¶24"), item=1),
    Case("the-total-stays-within-the-patch-amount", trip(item("fentanyl", 60, form="transdermal-patch"), item("fentanyl", 15, form="tablet")),
         DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("twenty-unit-doses-need-no-prescription", trip(item("methylphenidate", 200, unit_doses=20)), NONE, (), ("retail-package", "guidelines ¶30")),
    # ¶19: a certificate is issued on the basis of a prescription, so one retail package does not drop it then.
    Case("a-certificate-keeps-the-prescription-for-one-retail-package", trip(item("fentanyl", 21, form="tablet", unit_doses=10)),
         DOCS, (RX, CERT), ("retail-package-certificate", "guidelines ¶19")),
    Case("twenty-one-unit-doses-need-the-prescription", trip(item("methylphenidate", 210, unit_doses=21)), DOCS, (RX,), ("retail-package-above", "guidelines ¶30")),
    Case("thirty-days-is-an-adequate-supply", trip(item("morphine", 100), days=30), DOCS, (RX,), ("supply-within-guideline", "guidelines ¶23")),
    Case("thirty-one-days-points-to-continuity", trip(item("morphine", 100), days=31), DOCS, (RX,), ("supply-above-guideline", "guidelines ¶23")),
    Case("a-country-without-notification-gets-the-defaults", trip(item("morphine", 100)), DOCS, (RX,), ("no-notification", "guidelines ¶23–30")),
    # -- a country's rules, each threshold kind both ways -----------------------------------------------------
    Case("rule-always", trip(item("morphine", 10), destination="FR"), DOCS, (RX, PERMIT), ("rule-always", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX, PERMIT], permit_lead_days=14))),)),
    Case("rule-always-gives-the-permit-lead-time", trip(item("morphine", 10), destination="FR"), DOCS, (RX, PERMIT), ("permit-lead-time", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX, PERMIT], permit_lead_days=14))),)),
    Case("rule-guideline-at-the-amount", trip(item("methylphenidate", 2000), destination="FR"), NONE, (), ("rule-guideline-within", "FR requirements version 1"), (FR_CERTIFICATE,)),
    Case("rule-guideline-just-above", trip(item("methylphenidate", 2001), destination="FR"), DOCS, (CERT,), ("rule-guideline-above", "FR requirements version 1"), (FR_CERTIFICATE,)),
    Case("rule-guideline-without-amount-asks-the-documents", trip(item("dexamfetamine", 100), destination="FR"), DOCS, (CERT,), ("rule-guideline-no-amount", "FR requirements version 1"), (FR_CERTIFICATE,)),
    Case("rule-amount-at-the-threshold", trip(item("methylphenidate", 1000), destination="FR"), NONE, (), ("rule-amount-within", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["methylphenidate"], [LETTER], "amount", threshold_mg=1000))),)),
    Case("rule-amount-just-above", trip(item("methylphenidate", 1000.5), destination="FR"), DOCS, (LETTER,), ("rule-amount-above", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["methylphenidate"], [LETTER], "amount", threshold_mg=1000))),)),
    Case("rule-days-at-the-threshold", trip(item("diazepam", 10), destination="FR", days=30), NONE, (), ("rule-days-within", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1971-IV"], [RX], "days", threshold_days=30))),)),
    Case("rule-days-just-above", trip(item("diazepam", 10), destination="FR", days=31), DOCS, (RX,), ("rule-days-above", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1971-IV"], [RX], "days", threshold_days=30))),)),
    Case("rule-days-without-a-length-of-stay-asks-the-documents", trip(item("diazepam", 10), destination="FR"), DOCS, (RX,), ("rule-days-unknown", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1971-IV"], [RX], "days", threshold_days=30))),)),
    Case("rules-that-do-not-name-the-class-leave-the-defaults", trip(item("diazepam", 400), destination="FR"), DOCS, (RX,), ("rules-not-covering", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX, PERMIT]))),)),
    Case("withdrawn-requirements-leave-the-defaults", trip(item("diazepam", 400), destination="FR"), DOCS, (RX,), ("requirements-withdrawn", "FR requirements version 2"),
         (("FR", "requirements", requirements(rule(["1971-IV"], [LETTER]))), ("FR", "requirements", None))),
    Case("naming-1961-i-does-not-admit-1961-iv", trip(item("heroin", 100), destination="FR"), NO, (), ("schedule-1961-iv", "guidelines ¶28"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX]))),)),
    Case("naming-1961-iv-admits-it-with-documents", trip(item("heroin", 100), destination="FR"), DOCS, (RX, PERMIT), ("rule-always", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-IV"], [RX, PERMIT]))),)),
    Case("country-supply-limit-exceeded", trip(item("morphine", 10), destination="FR", days=61), DOCS, (RX,), ("supply-above", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX]), max_supply_days=60)),)),
    Case("supply-exception-allows-longer", trip(item("phenobarbital", 100), destination="FR", days=61), NONE, (), ("supply-within", "FR requirements version 1"),
         (("FR", "requirements", requirements(max_supply_days=60, supply_exceptions=[{"substances": ["phenobarbital"], "max_supply_days": 90}])),)),
    Case("country-refusing-the-retail-package-exemption", trip(item("morphine", 100, unit_doses=10), destination="FR"), DOCS, (RX,), ("retail-package-not-exempt", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX]), retail_package_exemption=False)),)),
    Case("country-keeping-the-retail-package-exemption", trip(item("morphine", 100, unit_doses=10), destination="FR"), NONE, (), ("retail-package", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX]), retail_package_exemption=True)),)),
    Case("travellers-restricted-is-said", trip(item("morphine", 10), destination="FR"), DOCS, (RX,), ("travellers-restricted", "FR requirements version 1"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX]), travellers_allowed="restricted")),)),
    Case("travellers-not-allowed-prohibits", trip(item("morphine", 10), destination="AE"), NO, (), ("travellers-not-allowed", "AE requirements version 1"),
         (("AE", "requirements", requirements(travellers_allowed="no")), ("AE", "authorities", authorities("AE", ["exceptions"])))),
    # -- article 13 bans -----------------------------------------------------------------------------------------
    Case("ban-at-the-destination", trip(item("amfetamine", 100), destination="JP"), NO, (), ("import-ban", "JP import-bans version 1"),
         (("JP", "import-bans", bans(ban("amfetamine"))),)),
    Case("ban-with-a-special-licence", trip(item("phentermine", 100), destination="JP"), NO, (), ("import-ban-licence", "JP import-bans version 1"),
         (("JP", "import-bans", bans(ban("phentermine", special_licence=True))),)),
    Case("ban-at-a-transit-country", trip(item("amfetamine", 100), transit=["JP"]), NO, (), ("import-ban", "JP import-bans version 1"),
         (("JP", "import-bans", bans(ban("amfetamine"))),), country="JP"),
    Case("ban-in-one-region-warns", trip(item("cathine", 100), destination="AU"), DOCS, (RX, CERT), ("import-ban-region", "AU import-bans version 1"),
         (("AU", "import-bans", bans(ban("cathine", region="Northern Territory"))),)),
    # -- transit (¶34) ---------------------------------------------------------------------------------------------
    Case("transit-without-notification", trip(item("morphine", 100), transit=["TH"]), DOCS, (RX,), ("transit-default", "guidelines ¶34"), country="TH"),
    Case("transit-same-as-entry", trip(item("morphine", 100), transit=["SG"]), DOCS, (RX, PERMIT), ("transit-same-as-entry", "SG requirements version 1"),
         (("SG", "requirements", requirements(rule(["1961-I"], [RX, PERMIT]), transit="same-as-entry")),), country="SG"),
    Case("transit-not-required", trip(item("morphine", 100), transit=["SG"]), NONE, (), ("transit-not-required", "SG requirements version 1"),
         (("SG", "requirements", requirements(rule(["1961-I"], [RX, PERMIT]), transit="not-required")),), country="SG"),
    Case("transit-own-rules-shows-the-entry-rules", trip(item("morphine", 100), transit=["SG"]), DOCS, (RX, PERMIT), ("transit-own-rules", "SG requirements version 1"),
         (("SG", "requirements", requirements(rule(["1961-I"], [RX, PERMIT]), transit="own-rules",
                                              transit_notes={"en": "Stay airside and you need nothing."})),), country="SG"),
    # -- certificates and the Schengen area ----------------------------------------------------------------
    Case("schengen-pair-gets-the-schengen-certificate", trip(item("methylphenidate", 2001), destination="FR", departure="DE"), DOCS, (SCHENGEN,),
         ("schengen-certificate", "Schengen Convention, article 75"), (FR_CERTIFICATE, DE_OFFICES)),
    Case("certificate-from-outside-schengen", trip(item("methylphenidate", 2001), destination="FR", departure="US"), DOCS, (CERT,),
         ("certificate-issuer", "guidelines Annex I"), (FR_CERTIFICATE,)),
    Case("certificate-from-an-unnamed-departure", trip(item("methylphenidate", 2001), destination="FR"), DOCS, (CERT,),
         ("certificate-issuer-unknown", "guidelines Annex I"), (FR_CERTIFICATE,)),
    Case("schengen-certificate-asked-of-a-traveller-from-outside", trip(item("morphine", 10), destination="FR", departure="US"), DOCS, (SCHENGEN,),
         ("schengen-certificate-outside", "Schengen Convention, article 75"), (("FR", "requirements", requirements(rule(["1961-I"], [SCHENGEN]))),)),
    # -- products and strengths per unit: the registry counts the totals (issue 14) ------------------------
    Case("ritalin-10-mg-times-60-is-methylphenidate-600-mg", trip(product(RITALIN, 60)), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("methylphenidate-10-mg-times-60-is-600-mg", trip(per_unit("methylphenidate", 10, 60)), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("concerta-36-mg-times-30-is-1080-mg", trip(product(CONCERTA, 30)), DOCS, (RX,), ("retail-package-above", "guidelines ¶30")),
    Case("suboxone-8-mg-2-mg-times-28-is-buprenorphine-224-mg", trip(product(SUBOXONE, 28)), DOCS, (RX,), ("annex-ii-within", "guidelines ¶26")),
    Case("durogesic-patches-count-per-patch", trip(product(DUROGESIC, 12)), DOCS, (RX, CERT), ("annex-ii-above", "guidelines ¶26")),
    Case("co-codamol-30-mg-a-tablet-is-a-schedule-iii-preparation", trip(product(CO_CODAMOL, 100)), NONE, (),
         ("preparation-1961-iii", "guidelines ¶29")),
    Case("codeine-of-120-mg-a-unit-is-not-a-schedule-iii-preparation", trip(per_unit("codeine", 120, 100, preparation_class="1961-III")),
         DOCS, (RX,), ("preparation-too-strong", "1961 Convention, Schedule III")),
    Case("a-product-and-a-substance-of-it-count-together", trip(product(RITALIN, 60), item("methylphenidate", 1500)), DOCS, (RX, CERT),
         ("amount-total", "guidelines ¶24")),
    # A substance only some countries control: their own rule where they notified one, else no default at all.
    Case("tramadol-where-the-country-notified-a-rule-for-it", trip(product(TRAMAL, 30), destination="AE"), DOCS, (RX, PERMIT),
         ("rule-always", "AE requirements version 1"), (("AE", "requirements", requirements(rule(["tramadol"], [RX, PERMIT]))),)),
    Case("tramadol-where-the-country-notified-no-rule-for-it", trip(product(TRAMAL, 30), destination="FR"), NONE, (),
         ("not-under-international-control", "INCB Yellow List and Green List"),
         (("FR", "requirements", requirements(rule(["1961-I"], [RX, PERMIT]))),)),
    Case("tramadol-where-the-country-notified-nothing", trip(item("tramadol", 1500)), NONE, (),
         ("not-under-international-control", "INCB Yellow List and Green List")),
    Case("schengen-certificate-asked-without-a-departure", trip(item("morphine", 10), destination="FR"), DOCS, (SCHENGEN,),
         ("schengen-certificate-departure-unknown", "Schengen Convention, article 75"), (("FR", "requirements", requirements(rule(["1961-I"], [SCHENGEN]))),)),
]


# (request body, the field path the answer names, words its message contains, whether the JSON Schema refuses it too)
BAD_REQUESTS = [
    ([], "", "JSON object", True),
    ({"items": [item("morphine", 1)]}, "destination", "required", True),
    (trip(item("morphine", 1), destination="XX"), "destination", "ISO 3166-1", True),
    (trip(item("morphine", 1), destination="fr"), "destination", "ISO 3166-1", True),
    (trip(), "items", "at least 1", True),
    (trip(*[item("morphine", 1)] * 21), "items", "at most 20", True),
    (trip(item("unobtainium", 1)), "items.0.substance", "not a known substance", True),
    (trip(item("morphine", -1)), "items.0.amount_mg", "at least 0.001", True),
    (trip(item("morphine", 0)), "items.0.amount_mg", "at least 0.001", True),
    (trip(item("morphine", 10_000_001)), "items.0.amount_mg", "at most 10000000", True),
    (trip(item("morphine", "100")), "items.0.amount_mg", "number of milligrams", True),
    (trip(item("morphine", 1, unit_doses=-1)), "items.0.unit_doses", "between 1", True),
    (trip(item("morphine", 1, unit_doses=2.5)), "items.0.unit_doses", "whole number", True),
    (trip(item("morphine", 1, form="patch")), "items.0.form", "not a dosage form", True),
    (trip(item("morphine", 1, preparation_class="1971-IV")), "items.0.preparation_class", "not a preparation class", True),
    (trip(item("morphine", 1, colour="red")), "items.0.colour", "Unknown field", True),
    (trip(item("morphine", 1), passenger="Jane Doe"), "passenger", "Unknown field", True),
    (trip(item("morphine", 1), days=0), "days", "between 1 and 3650", True),
    (trip(item("morphine", 1), days=3651), "days", "between 1 and 3650", True),
    (trip(item("morphine", 1), transit=["DE", "AT", "CH", "IT", "SI", "HR", "HU", "SK", "CZ", "PL", "LT"]), "transit", "at most 10", True),
    (trip(item("morphine", 1), transit=["DE", "DE"]), "transit.1", "listed twice", True),
    (trip("morphine"), "items.0", "Must be an object", True),
    (trip(item("Ritalin", 600)), "items.0.substance", "Did you mean product 'ritalin-10-mg-tablet'", True),
    (trip(item("metylphenidate", 600)), "items.0.substance", "Did you mean 'methylphenidate'", True),
    (trip(product("ritalinn", 60)), "items.0.product", "Did you mean product 'ritalin", True),
    (trip(product(RITALIN, 60, substance="methylphenidate")), "items.0.substance", "the product says it", True),
    (trip(product(RITALIN, 60, form=None)), "items.0.form", "the product says it", True),
    (trip({"product": RITALIN}), "items.0.unit_doses", "give unit_doses", True),
    (trip({"unit_doses": 60}), "items.0.substance", "Give a substance", True),
    (trip({"substance": "codeine", "unit_doses": 60}), "items.0.amount_mg", "or strength_mg and unit_doses", True),
    (trip({"substance": "codeine", "strength_mg": 30}), "items.0.unit_doses", "give unit_doses", True),
]


def notifications(published) -> Notifications:
    """The current versions after publishing these sections in order (seq 1, 2, …), as the API would number them."""
    found: dict[str, dict[str, Notified]] = {}
    for seq, (country, section, document) in enumerate(published, 1):
        before = found.get(country, {}).get(section)
        found.setdefault(country, {})[section] = Notified(country, section, before.version + 1 if before else 1, seq, document)
    return found


def run(case: Case) -> rules.CheckResult:
    """The rules module's answer for a case."""
    return rules.check(trips.read_trip(case.trip), notifications(case.published))


def examined(result: dict, case: Case) -> dict:
    """The item a case pins down, in a result as JSON."""
    country = next(entry for entry in result["countries"] if entry["country"] == case.where)
    return country["items"][case.item]



def publish(client, headers, published) -> None:
    """Publish (or, for None, withdraw) each section in order, as the case table lists them."""
    for country, section, document in published:
        url = f"/api/v1/countries/{country}/{section}"
        current = client.get(url)
        if document is None:
            answer = client.delete(url, headers={**headers, "If-Match": current.headers["ETag"]})
        elif current.status_code == 404:
            answer = put(client, headers, country, section, document, first=True)
        else:
            answer = put(client, headers, country, section, document, etag=current.headers["ETag"])
        assert answer.status_code in (200, 201), answer.json
