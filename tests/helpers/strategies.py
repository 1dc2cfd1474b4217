"""Hypothesis strategies of valid documents, built from the registry's own vocabularies.

Document kinds, thresholds, schedule classes, substances, bannable substances,
countries and languages, with text in many scripts and the marks that trouble renderers.
"""
from datetime import date

from hypothesis import strategies as st

from registry import reference
from registry.documents import (AUTHORITY_ROLES, BANNABLE_CLASSES, DAYS_MAX, DOCUMENT_KINDS, LINE_MAX, MG_MAX, MG_MIN,
                                PHONE, THRESHOLDS, TRANSIT, TRAVELLERS_ALLOWED, bad_characters)

SUBSTANCES = sorted(reference.substances())
BANNABLE = [key for key in SUBSTANCES if set(reference.substance(key).schedules) & set(BANNABLE_CLASSES)]
LANGUAGES = [code for code in ("ar", "zh", "en", "fr", "ru", "es", "de", "hi", "he", "ja", "el", "sw") if reference.is_language(code)]
COUNTRIES = ["FR", "DE", "JP", "BR", "EG", "CN"]
# Characters of many scripts, and the marks that trouble renderers, drawn often; any other storable character now and then.
SCRIPTS = ("Aa Zz éñøß ﻉربي عَرَبِيّ 中文汉字 Русский Ελληνικά עברית हिन्दी 日本語 한국어 ไทย ✓ 😀 👩🏽‍⚕️ 𝄞 𠜎 "
           "\u0301\u0308 \u200f\u200e\u202e\u202c\u2066\u2069 \u2028 \ufeff \u00a0 <>&\"' ]]> &amp;")
characters = st.one_of(st.sampled_from(SCRIPTS), st.characters(exclude_categories=("Cc", "Cs"))).filter(lambda char: bad_characters(char) is None)


def lines(max_size: int = 40):
    return st.text(characters, min_size=1, max_size=max_size).filter(str.strip)


def texts():
    paragraph = st.text(st.one_of(characters, st.just("\n")), min_size=1, max_size=80).filter(str.strip)
    return st.dictionaries(st.sampled_from(LANGUAGES), paragraph, min_size=1, max_size=3)


days = st.dates(date(1971, 1, 1), date(2035, 12, 31)).map(date.isoformat)
amounts = st.one_of(st.integers(1, MG_MAX), st.floats(MG_MIN, MG_MAX, allow_nan=False, allow_infinity=False))
urls = st.sampled_from(["https://example.org/arrêté?a=1&b='x'", "https://例え.jp/規則", "http://gov.example/law/2025/11"])


def unique(elements, **kwargs):
    return st.lists(elements, unique=True, **kwargs)


def optional(document: dict, draw, **fields) -> dict:
    """The document with each of `fields` (name → strategy) added or left out."""
    for name, strategy in fields.items():
        if draw(st.booleans()):
            document[name] = draw(strategy)
    return document


@st.composite
def rules(draw):
    threshold = draw(st.sampled_from(THRESHOLDS))
    # A threshold in milligrams means something only for one substance, never for a schedule class.
    applies = SUBSTANCES if threshold == "amount" else [*reference.SCHEDULE_CLASSES, *SUBSTANCES]
    rule = {"applies_to": draw(unique(st.sampled_from(applies), min_size=1, max_size=3)),
            "documents": draw(unique(st.sampled_from(DOCUMENT_KINDS), min_size=1, max_size=3)), "threshold": threshold}
    if threshold == "amount":
        rule["threshold_mg"] = draw(amounts)
    if threshold == "days":
        rule["threshold_days"] = draw(st.integers(1, DAYS_MAX))
    if "import-permit" in rule["documents"]:
        optional(rule, draw, permit_lead_days=st.integers(0, 365))
    return optional(rule, draw, notes=texts())


@st.composite
def requirements(draw):
    document = {"effective_from": draw(days), "travellers_allowed": draw(st.sampled_from(TRAVELLERS_ALLOWED)),
                "rules": draw(st.lists(rules(), max_size=4)),
                "customs": {name: draw(st.booleans()) for name in ("declare_on_entry", "endorsement", "show_on_request")}}
    exceptions = st.lists(st.fixed_dictionaries(
        {"substances": unique(st.sampled_from(SUBSTANCES), min_size=1, max_size=3), "max_supply_days": st.integers(1, DAYS_MAX)},
        optional={"reason": texts()}), max_size=2)
    legal = st.lists(st.fixed_dictionaries({"title": lines(LINE_MAX * 2)}, optional={"url": urls, "date": days}), max_size=2)
    optional(document, draw, max_supply_days=st.integers(1, DAYS_MAX), supply_exceptions=exceptions, retail_package_exemption=st.booleans(),
             document_languages=unique(st.sampled_from(LANGUAGES), max_size=3), translation_required=st.booleans(),
             transit=st.sampled_from(TRANSIT), treatment_continuity=st.fixed_dictionaries({"extension_possible": st.booleans()},
                                                                                          optional={"how": texts()}),
             notes=texts(), legal_basis=legal)
    if document.get("transit") == "own-rules":
        document["transit_notes"] = draw(texts())
    return document


phones = st.one_of(st.none(), st.from_regex(PHONE, fullmatch=True))
emails = st.one_of(st.none(), st.builds("{}@{}".format, st.from_regex(r"[a-z0-9._%+-]{1,20}", fullmatch=True).filter(
    lambda local: not local.startswith(".") and not local.endswith(".") and ".." not in local),
    st.sampled_from(["example.org", "sante.gouv.example", "例え.jp"])))
authority = st.fixed_dictionaries(
    {"roles": unique(st.sampled_from(AUTHORITY_ROLES), min_size=1, max_size=3), "name": lines(),
     "address": st.fixed_dictionaries({"lines": st.lists(lines(), min_size=1, max_size=3), "city": lines(),
                                       "postal_code": st.one_of(st.none(), lines(20)), "country": st.sampled_from(sorted(reference.countries()))})},
    optional={"phone": phones, "fax": phones, "email": emails, "website": st.one_of(st.none(), urls),
              "languages": unique(st.sampled_from(LANGUAGES), max_size=3), "notes": texts()})
authorities = st.fixed_dictionaries({"effective_from": days, "authorities": st.lists(authority, min_size=1, max_size=3)})


@st.composite
def import_bans(draw):
    bans = [optional({"substance": key, "since": draw(days), "region": draw(st.one_of(st.none(), lines())),
                      "special_licence": draw(st.booleans())}, draw, reference=st.one_of(st.none(), lines(200)), notes=texts())
            for key in draw(unique(st.sampled_from(BANNABLE), max_size=4))]
    return {"effective_from": draw(days), "bans": bans}


DOCUMENTS = {"requirements": requirements(), "authorities": authorities, "import-bans": import_bans()}
