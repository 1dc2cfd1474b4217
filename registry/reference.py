"""Reference data: controlled substances, guideline amounts, countries, languages and the Schengen states.

The one module that reads the files in ``data/`` (their sources and editions are in
``data/README.md``), the ISO tables shipped with ``pycountry`` and Babel's CLDR country names. Everything is read
once, checked, cached and handed out as immutable objects; a broken file raises
``ReferenceDataError`` naming the file and the entry at fault.
"""
from __future__ import annotations

import gettext
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import pycountry
from babel import Locale

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

SCHEDULE_CLASSES: tuple[str, ...] = (
    "1961-I", "1961-II", "1961-III", "1961-IV",
    "1971-I", "1971-II", "1971-III", "1971-IV",
)

# Guidelines ¶26 (Annex II) and ¶27 (Annex III): the schedules each annex covers.
ANNEX_CLASSES: Mapping[str, frozenset[str]] = MappingProxyType({
    "II": frozenset({"1961-I", "1961-II", "1971-II", "1971-III"}),
    "III": frozenset({"1971-IV"}),
})

KEY_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# A substance under no international control that some countries control by their own law (tramadol,
# pregabalin…): its only class. No schedule class goes with it, and no default of the guidelines applies.
NATIONAL = "national"

# Dosage forms, as a traveller check item names them (the keys of registry/check/reasons.FORM_PHRASES).
PRODUCT_FORMS = (
    "tablet", "capsule", "oral-liquid", "oral-film", "sublingual", "lozenge", "injection",
    "transdermal-patch", "suppository", "nasal-spray", "inhalation",
)
# What one counts of a product: the unit its strength is given per.
PRODUCT_UNITS = (
    "tablet", "capsule", "patch", "film", "lozenge", "ampoule", "vial", "pre-filled-syringe", "bottle",
    "suppository", "sachet", "spray-bottle", "inhaler", "cartridge",
)
# The units each form may be counted in: a patch is not sold by the bottle, nor a tablet by the vial.
FORM_UNITS: Mapping[str, frozenset[str]] = MappingProxyType({
    "tablet": frozenset({"tablet"}),
    "capsule": frozenset({"capsule"}),
    "oral-liquid": frozenset({"bottle", "sachet", "pre-filled-syringe", "spray-bottle", "ampoule"}),
    "oral-film": frozenset({"film"}),
    "sublingual": frozenset({"tablet", "film"}),
    "lozenge": frozenset({"lozenge"}),
    "injection": frozenset({"ampoule", "vial", "pre-filled-syringe", "cartridge"}),
    "transdermal-patch": frozenset({"patch"}),
    "suppository": frozenset({"suppository"}),
    "nasal-spray": frozenset({"spray-bottle"}),
    "inhalation": frozenset({"inhaler", "cartridge"}),
})
# Units that are one dose each; a concentration (per cent) belongs only to the other, undivided ones.
DOSAGE_UNITS = frozenset({"tablet", "capsule", "patch", "film", "lozenge", "suppository"})


class ReferenceDataError(ValueError):
    """A reference data file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Substance:
    """A narcotic drug (1961 Convention) or psychotropic substance (1971 Convention)."""

    key: str
    inn: str
    names: Mapping[str, str] = field(hash=False)
    schedules: tuple[str, ...]
    other_names: tuple[str, ...] = ()
    note: str | None = None  # for a nationally controlled substance: who controls it, and since when

    def name(self, lang: str) -> str:
        """The name in that language, or the English one."""
        return self.names.get(lang) or self.names["en"]

    def named_in(self, lang: str) -> bool:
        """Whether it has a name in that language; if not, `name` gives the English one, which pages mark as English."""
        return bool(self.names.get(lang))

    @property
    def national(self) -> bool:
        """Whether no convention schedules it: only some countries control it (class ``national``)."""
        return self.schedules == (NATIONAL,)


@dataclass(frozen=True)
class Ingredient:
    """One active ingredient of a product, as its label gives it."""

    inn: str  # the International Nonproprietary Name, in English
    substance: str | None  # its key in data/substances.json; None when no convention or country controls it
    strength: str  # as the label prints it: "10 mg", "50 µg/h", "8 mg"
    mg_per_unit: float | int  # milligrams in one unit (tablet, patch, bottle…), counted as labelled
    expressed_as: str  # what the label's strength counts: "base" or the salt, e.g. "hydrochloride"
    percent: float | int | None = None  # concentration, for an undivided preparation (a bottle, a sachet)


@dataclass(frozen=True)
class Product:
    """A medicinal product as travellers name it: brand names, markets, form, what one unit contains."""

    key: str
    names: tuple[str, ...]  # as printed on the box, the first being the usual one
    markets: tuple[str, ...]  # ISO 3166-1 alpha-2 codes of the countries where it is sold under those names
    form: str  # one of PRODUCT_FORMS
    unit: str  # one of PRODUCT_UNITS
    ingredients: tuple[Ingredient, ...]
    schedule_1961_iii: bool | None  # True: a preparation within Schedule III of 1961; None: it has no such drug
    note: str | None = None

    @property
    def label(self) -> str:
        """The name and strengths, as on the box: "Ritalin 10 mg", "Suboxone 8 mg/2 mg"; a name that already
        gives its strengths stands alone ("Co-codamol 30/500", "Oramorph 10 mg/5 ml")."""
        if _names_strengths(self.names[0], self.ingredients):
            return self.names[0]
        return f"{self.names[0]} {'/'.join(item.strength for item in self.ingredients)}"

    @property
    def controlled(self) -> tuple[Ingredient, ...]:
        """The ingredients some convention or country controls (those with a substance key)."""
        return tuple(item for item in self.ingredients if item.substance is not None)

    def as_json(self) -> dict[str, Any]:
        """The product as the API and the exports give it (schemas/product.schema.json)."""
        return {
            "key": self.key,
            "label": self.label,
            "names": list(self.names),
            "markets": list(self.markets),
            "form": self.form,
            "unit": self.unit,
            "ingredients": [{
                "inn": item.inn,
                "substance": item.substance,
                "control": None if item.substance is None else (
                    NATIONAL if substances()[item.substance].national else "international"),
                "strength": item.strength,
                "mg_per_unit": item.mg_per_unit,
                "expressed_as": item.expressed_as,
                "percent": item.percent,
            } for item in self.ingredients],
            "schedule_1961_iii": self.schedule_1961_iii,
            "note": self.note,
        }


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# A name ending in a strength: "… 30/500", "… 10 mg", "… 10 mg/5 ml", "… 50 micrograms/dose".
_ENDS_WITH_STRENGTH = re.compile(r"\d\s*(%|mg|ml|g|µg|micrograms?)?(\s*/\s*\d*\s*(ml|dose|h))?$")


def _names_strengths(name: str, ingredients: tuple[Ingredient, ...]) -> bool:
    """Whether a product name already says its strengths: it ends with one, or holds every ingredient's number."""
    if _ENDS_WITH_STRENGTH.search(name):
        return True
    numbers = set(_NUMBER.findall(name))
    return all(bool(set(_NUMBER.findall(item.strength)[:1]) & numbers) for item in ingredients)


@dataclass(frozen=True)
class GuidelineAmount:
    """An amount of Annex II or III of the guidelines, in milligrams of active substance."""

    substance: str
    annex: str
    form: str | None
    amount_mg: float | int
    paragraph: str
    note: str | None = None
    source_spelling: str | None = None


@dataclass(frozen=True)
class ExemptPreparation:
    """A preparation of Schedule III of the 1961 Convention: its drugs and the strength it may not exceed."""

    substances: tuple[str, ...]
    max_mg_per_unit: float | int | None  # milligrams of the drug per dosage unit
    max_percent: float | int | None  # concentration in undivided preparations
    paragraph: str  # of Schedule III
    condition: str  # what else the Schedule asks, which a traveller declares


@dataclass(frozen=True)
class Country:
    """A country of ISO 3166-1, by its alpha-2 code."""

    code: str
    names: Mapping[str, str] = field(hash=False)

    def name(self, lang: str) -> str:
        """The name in that language, or the English one."""
        return self.names.get(lang) or self.names["en"]


# -- reading and checking ----------------------------------------------------------


def _read(filename: str) -> Any:
    path = DATA_DIR / filename
    try:
        with path.open(encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        raise ReferenceDataError(f"data/{filename}: file not found in {DATA_DIR}") from None
    except json.JSONDecodeError as error:
        raise ReferenceDataError(f"data/{filename}: not valid JSON ({error})") from None


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise ReferenceDataError(f"{where}: {message}")


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _only_fields(entry: Any, allowed: set[str], required: set[str], where: str) -> None:
    _require(isinstance(entry, dict), where, "must be an object")
    unknown = sorted(set(entry) - allowed)
    _require(not unknown, where, f"unknown field(s) {unknown}; allowed are {sorted(allowed)}")
    missing = sorted(required - set(entry))
    _require(not missing, where, f"missing field(s) {missing}")


def _substance(entry: Any, where: str) -> Substance:
    _only_fields(entry, {"key", "inn", "names", "schedules", "other_names", "note"},
                 {"key", "inn", "names", "schedules"}, where)
    key = entry["key"]
    _require(isinstance(key, str) and bool(KEY_PATTERN.match(key)), where,
             f"key {key!r} must be lower-case ASCII words joined by '-' ({KEY_PATTERN.pattern})")
    where = f"{where} ({key})"
    _require(_text(entry["inn"]), where, "inn must be a non-empty string")
    names = entry["names"]
    _require(isinstance(names, dict) and _text(names.get("en")), where, "names must hold at least 'en'")
    _require(all(isinstance(lang, str) and _text(text) for lang, text in names.items()), where,
             "every name must be a non-empty string")
    schedules = entry["schedules"]
    _require(isinstance(schedules, list) and bool(schedules), where, "schedules must be a non-empty list")
    if NATIONAL in schedules:
        _require(schedules == [NATIONAL], where, f"{NATIONAL!r} is a class of its own: no schedule goes with it")
        _require(_text(entry.get("note")), where, "a nationally controlled substance needs a note saying who controls it")
    for item in (item for item in schedules if item != NATIONAL):
        _require(item in SCHEDULE_CLASSES, where, f"{item!r} is not a schedule class {SCHEDULE_CLASSES}")
    _require(len(set(schedules)) == len(schedules), where, "schedules are repeated")
    # Single Convention art. 2(5): Schedule IV drugs are also in Schedule I.
    _require("1961-IV" not in schedules or "1961-I" in schedules, where, "a 1961-IV substance must also be 1961-I")
    other_names = entry.get("other_names", [])
    _require(isinstance(other_names, list) and all(_text(item) for item in other_names), where,
             "other_names must be a list of non-empty strings")
    ordered = (NATIONAL,) if schedules == [NATIONAL] else tuple(cls for cls in SCHEDULE_CLASSES if cls in schedules)
    return Substance(key, entry["inn"], MappingProxyType(dict(names)), ordered, tuple(other_names), entry.get("note"))


@lru_cache(maxsize=None)
def _substance_file() -> tuple[Mapping[str, Substance], Mapping[str, str]]:
    data = _read("substances.json")
    where = "data/substances.json"
    _only_fields(data, {"edition", "substances"}, {"edition", "substances"}, where)
    edition_ = data["edition"]
    _require(isinstance(edition_, dict) and all(_text(v) for v in edition_.values()), f"{where}: edition",
             "must be an object of strings")
    _require(isinstance(data["substances"], list), f"{where}: substances", "must be a list")
    found: dict[str, Substance] = {}
    for index, entry in enumerate(data["substances"]):
        item = _substance(entry, f"{where}: substances[{index}]")
        _require(item.key not in found, f"{where}: substances[{index}]", f"key {item.key!r} appears twice")
        found[item.key] = item
    ordered = {key: found[key] for key in sorted(found)}
    return MappingProxyType(ordered), MappingProxyType(dict(edition_))


def _amount(entry: Any, where: str, known: Mapping[str, Substance]) -> GuidelineAmount:
    _only_fields(entry, {"substance", "annex", "form", "amount_mg", "paragraph", "note", "source_spelling"},
                 {"substance", "annex", "form", "amount_mg", "paragraph"}, where)
    key = entry["substance"]
    _require(key in known, where, f"substance {key!r} is not a key in data/substances.json")
    annex = entry["annex"]
    _require(annex in ANNEX_CLASSES, where, f"annex must be one of {sorted(ANNEX_CLASSES)}")
    allowed = ANNEX_CLASSES[annex]
    _require(bool(allowed.intersection(known[key].schedules)), where,
             f"{key} is in {list(known[key].schedules)}, but Annex {annex} covers only {sorted(allowed)}")
    form = entry["form"]
    _require(form is None or (isinstance(form, str) and bool(KEY_PATTERN.match(form))), where,
             "form must be null (every form) or a lower-case key such as 'transdermal-patch'")
    amount = entry["amount_mg"]
    _require(isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount > 0, where,
             "amount_mg must be a positive number")
    _require(_text(entry["paragraph"]), where, "paragraph must be a non-empty string")
    for optional in ("note", "source_spelling"):
        _require(entry.get(optional) is None or _text(entry[optional]), where, f"{optional} must be a string")
    return GuidelineAmount(key, annex, form, amount, entry["paragraph"],
                           entry.get("note"), entry.get("source_spelling"))


@lru_cache(maxsize=None)
def _amount_file() -> tuple[tuple[GuidelineAmount, ...], Mapping[str, Any], Mapping[str, tuple[GuidelineAmount, ...]]]:
    data = _read("guideline_amounts.json")
    where = "data/guideline_amounts.json"
    _only_fields(data, {"source", "supply_rule", "annexes", "amounts"}, {"source", "supply_rule", "amounts"}, where)
    rule = data["supply_rule"]
    _require(isinstance(rule, dict) and isinstance(rule.get("days"), int) and rule["days"] > 0
             and _text(rule.get("paragraph")), f"{where}: supply_rule", "needs a positive 'days' and a 'paragraph'")
    _require(isinstance(data["amounts"], list), f"{where}: amounts", "must be a list")
    known = substances()
    amounts: list[GuidelineAmount] = []
    seen: set[tuple[str, str | None]] = set()
    for index, entry in enumerate(data["amounts"]):
        item = _amount(entry, f"{where}: amounts[{index}]", known)
        _require((item.substance, item.form) not in seen, f"{where}: amounts[{index}]",
                 f"a second amount for {item.substance} in form {item.form!r}")
        seen.add((item.substance, item.form))
        amounts.append(item)
    by_substance: dict[str, tuple[GuidelineAmount, ...]] = {}
    for item in amounts:  # the check asks for one substance's amounts several times per medicine
        by_substance[item.substance] = (*by_substance.get(item.substance, ()), item)
    return tuple(amounts), _freeze(rule), MappingProxyType(by_substance)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


@lru_cache(maxsize=None)
def _pycountry_version() -> str:
    try:
        return version("pycountry")
    except PackageNotFoundError:  # imported from a source tree, not installed
        return "unknown"


# The languages whose country names are CLDR's territory names (Babel), corrected by data/country_names_cldr.json.
CLDR_NAME_LANGUAGES = ("fr", "es", "ru", "ar")


@lru_cache(maxsize=None)
def _countries() -> Mapping[str, Country]:
    try:
        catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:
        raise ReferenceDataError("pycountry ships no zh_CN catalogue for ISO 3166-1") from None
    short_zh = _chinese_short_names()
    corrected = _cldr_name_corrections()
    territories = {lang: Locale.parse(lang).territories for lang in CLDR_NAME_LANGUAGES}
    found: dict[str, Country] = {}
    for record in pycountry.countries:
        # Users search for "Bolivia", not "Bolivia, Plurinational State of"; the Chinese name is as short
        # (data/country_names_zh.json where the catalogue's is a formal or a mistaken one), and so are
        # CLDR's ("Bolivie", "Corée du Sud"), which pycountry's formal French, Spanish, Russian and Arabic are not.
        code = record.alpha_2
        names = {"en": getattr(record, "common_name", None) or record.name}
        chinese = short_zh.get(code) or catalog.gettext(record.name)
        if chinese != record.name:
            names["zh"] = chinese
        for lang in CLDR_NAME_LANGUAGES:
            name = corrected[lang].get(code) or territories[lang].get(code)
            if name:  # else the English one (Country.name)
                names[lang] = name
        found[code] = Country(code, MappingProxyType(names))
    unknown = sorted(set(short_zh) - set(found))
    _require(not unknown, "data/country_names_zh.json: names", f"{unknown} are not ISO 3166-1 alpha-2 codes")
    for lang in CLDR_NAME_LANGUAGES:
        unknown = sorted(set(corrected[lang]) - set(found))
        _require(not unknown, f"data/country_names_cldr.json: names.{lang}", f"{unknown} are not ISO 3166-1 alpha-2 codes")
    return MappingProxyType({code: found[code] for code in sorted(found)})


def _cldr_name_corrections() -> Mapping[str, Mapping[str, str]]:
    """The names, by language and code, that the registry writes otherwise than CLDR (data/country_names_cldr.json)."""
    data = _read("country_names_cldr.json")
    where = "data/country_names_cldr.json"
    _only_fields(data, {"source", "style", "names"}, {"source", "style", "names"}, where)
    names = data["names"]
    _require(isinstance(names, dict) and set(names) <= set(CLDR_NAME_LANGUAGES), f"{where}: names",
             f"must be an object keyed by {', '.join(CLDR_NAME_LANGUAGES)}")
    for lang, by_code in names.items():
        _require(isinstance(by_code, dict), f"{where}: names.{lang}", "must be an object keyed by country code")
        for code, name in by_code.items():
            _require(_text(name), f"{where}: names.{lang}.{code}", "must be a name")
    return {lang: names.get(lang, {}) for lang in CLDR_NAME_LANGUAGES}


def _chinese_short_names() -> Mapping[str, str]:
    data = _read("country_names_zh.json")
    where = "data/country_names_zh.json"
    _only_fields(data, {"source", "style", "names"}, {"source", "style", "names"}, where)
    _require(isinstance(data["names"], dict), f"{where}: names", "must be an object keyed by country code")
    for code, name in data["names"].items():
        _require(_text(name) and "(" not in name and ")" not in name, f"{where}: names.{code}",
                 "must be a name, with full-width parentheses")
    return data["names"]


# The languages whose country names search knows besides the UI's: the six of the UN and German, Italian and
# Portuguese, which travellers often type ("Schweiz", "Allemagne", "Alemanha").
ALIAS_LANGUAGES = ("ar", "de", "es", "fr", "it", "pt", "ru", "zh_CN")


@lru_cache(maxsize=None)
def country_aliases() -> Mapping[str, tuple[str, ...]]:
    """Every country's other names, by code: its alpha-3 code, official and common names, and its names in
    ALIAS_LANGUAGES from pycountry's ISO 3166-1 catalogues; without repeats or its names in `names`."""
    catalogs = []
    for language in ALIAS_LANGUAGES:
        try:
            catalogs.append(gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language]))
        except OSError:
            raise ReferenceDataError(f"pycountry ships no {language} catalogue for ISO 3166-1") from None
    found: dict[str, tuple[str, ...]] = {}
    for record in pycountry.countries:
        english = [record.name, *(getattr(record, name, None) for name in ("common_name", "official_name"))]
        names = [record.alpha_3, *(text for text in english if text)]
        names += [catalog.gettext(text) for catalog in catalogs for text in english if text]
        known = set(_countries()[record.alpha_2].names.values())
        found[record.alpha_2] = tuple(name for name in dict.fromkeys(names) if name not in known)
    return MappingProxyType(found)


@lru_cache(maxsize=None)
def _languages() -> frozenset[str]:
    return frozenset(record.alpha_2 for record in pycountry.languages if hasattr(record, "alpha_2"))


@lru_cache(maxsize=None)
def _schengen() -> frozenset[str]:
    data = _read("schengen.json")
    where = "data/schengen.json"
    _only_fields(data, {"as_of", "source", "states"}, {"as_of", "source", "states"}, where)
    states = data["states"]
    _require(isinstance(states, list), f"{where}: states", "must be a list")
    for code in states:
        _require(code in _countries(), f"{where}: states", f"{code!r} is not an ISO 3166-1 alpha-2 code")
    _require(len(set(states)) == len(states), f"{where}: states", "codes are repeated")
    return frozenset(states)


# -- public interface ----------------------------------------------------------------


def _limit(value: Any, where: str, name: str) -> None:
    _require(value is None or _number(value), where, f"{name} must be null or a positive number")


@lru_cache(maxsize=None)
def _schedule_iii_file() -> Mapping[str, ExemptPreparation]:
    data = _read("schedule_1961_iii.json")
    where = "data/schedule_1961_iii.json"
    _only_fields(data, {"source", "uncertain", "preparations"}, {"source", "preparations"}, where)
    _require(isinstance(data["preparations"], list), f"{where}: preparations", "must be a list")
    known = substances()
    found: dict[str, ExemptPreparation] = {}
    for index, entry in enumerate(data["preparations"]):
        at = f"{where}: preparations[{index}]"
        _only_fields(entry, {"substances", "max_mg_per_unit", "max_percent", "paragraph", "condition"},
                     {"substances", "max_mg_per_unit", "max_percent", "paragraph", "condition"}, at)
        _limit(entry["max_mg_per_unit"], at, "max_mg_per_unit")
        _limit(entry["max_percent"], at, "max_percent")
        _require(entry["max_mg_per_unit"] is not None or entry["max_percent"] is not None, at, "needs a limit")
        _require(_text(entry["paragraph"]) and _text(entry["condition"]), at, "needs a paragraph and a condition")
        item = ExemptPreparation(tuple(entry["substances"]), entry["max_mg_per_unit"], entry["max_percent"],
                                 entry["paragraph"], entry["condition"])
        for key in item.substances:
            _require(key in known and {"1961-I", "1961-II"} & set(known[key].schedules), at,
                     f"{key!r} is not a 1961 Schedule I or II drug of data/substances.json")
            _require(key not in found, at, f"{key!r} is listed twice")
            found[key] = item
    return MappingProxyType(found)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _ingredient(entry: Any, where: str) -> Ingredient:
    _only_fields(entry, {"inn", "substance", "strength", "mg_per_unit", "expressed_as", "percent"},
                 {"inn", "substance", "strength", "mg_per_unit", "expressed_as"}, where)
    key = entry["substance"]
    _require(key is None or key in substances(), where,
             f"substance {key!r} is not a key in data/substances.json (null for an ingredient nobody controls)")
    _require(key is not None or not any(entry["inn"].casefold() == item.inn.casefold() for item in substances().values()),
             where, f"{entry['inn']!r} is a controlled substance: give its key")
    for name in ("inn", "strength", "expressed_as"):
        _require(_text(entry[name]), where, f"{name} must be a non-empty string")
    _require(_number(entry["mg_per_unit"]), where, "mg_per_unit must be a positive number")
    _require(bool(re.search(r"\d", entry["strength"])) and bool(re.search(r"(mg|g|µg|mcg|%|ml|IU)", entry["strength"])),
             where, f"strength {entry['strength']!r} must be a number with its unit, as labelled")
    percent = entry.get("percent")
    _require(percent is None or (_number(percent) and percent <= 100), where, "percent must be above 0 and at most 100")
    return Ingredient(entry["inn"], key, entry["strength"], entry["mg_per_unit"], entry["expressed_as"], percent)


def schedule_iii_exemption(key: str, strength_mg: float | None, percent: float | None) -> str:
    """How Schedule III of the 1961 Convention treats a preparation of drug `key` at this strength per dosage unit
    and this concentration (either may be unknown): "exempted", "not-listed" (the Schedule names no preparation
    of the drug), "strength-unknown" (no strength given that the Schedule limits) or "too-strong"."""
    entry = exempt_preparation(key)
    if entry is None or "1961-IV" in substances()[key].schedules:
        return "not-listed"
    limits = [(given, limit) for given, limit in ((strength_mg, entry.max_mg_per_unit), (percent, entry.max_percent))
              if given is not None and limit is not None]
    if not limits:
        return "strength-unknown"
    return "exempted" if all(given <= limit for given, limit in limits) else "too-strong"


def schedule_iii_status(ingredients: tuple[Ingredient, ...]) -> bool | None:
    """Whether these ingredients make a preparation of Schedule III of the 1961 Convention: None when none of
    them is a drug that Schedule III names; else True only if every 1961 drug in it is named there and within
    the Schedule's limits (per dosage unit, or in per cent where the concentration is given)."""
    drugs = [item for item in ingredients if item.substance is not None
             and {"1961-I", "1961-II"} & set(substances()[item.substance].schedules)]
    if not any(exempt_preparation(item.substance) for item in drugs):
        return None
    return all(schedule_iii_exemption(item.substance, item.mg_per_unit if item.percent is None else None, item.percent)
               == "exempted" for item in drugs)


@lru_cache(maxsize=None)
def _product_file() -> Mapping[str, Product]:
    data = _read("products.json")
    where = "data/products.json"
    _only_fields(data, {"source", "uncertain", "products"}, {"source", "products"}, where)
    _require(isinstance(data["products"], list), f"{where}: products", "must be a list")
    found: dict[str, Product] = {}
    labels: dict[tuple[str, str, str], str] = {}
    for index, entry in enumerate(data["products"]):
        at = f"{where}: products[{index}]"
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            at = f"{at} ({entry['key']})"  # named from the start, so that every message says which product
        _only_fields(entry, {"key", "names", "markets", "form", "unit", "ingredients", "schedule_1961_iii", "note"},
                     {"key", "names", "markets", "form", "unit", "ingredients", "schedule_1961_iii"}, at)
        key = entry["key"]
        _require(isinstance(key, str) and bool(KEY_PATTERN.match(key)), at, f"key {key!r} must match {KEY_PATTERN.pattern}")
        _require(key not in found, at, "key appears twice")
        _require(isinstance(entry["names"], list) and bool(entry["names"]) and all(_text(name) for name in entry["names"]),
                 at, "names must be a non-empty list of names")
        markets = entry["markets"]
        _require(isinstance(markets, list) and bool(markets) and all(code in _countries() for code in markets), at,
                 "markets must be a non-empty list of ISO 3166-1 alpha-2 codes")
        _require(entry["form"] in PRODUCT_FORMS, at, f"form must be one of {PRODUCT_FORMS}")
        _require(entry["unit"] in PRODUCT_UNITS, at, f"unit must be one of {PRODUCT_UNITS}")
        _require(isinstance(entry["ingredients"], list) and bool(entry["ingredients"]), at, "ingredients must be a non-empty list")
        ingredients = tuple(_ingredient(item, f"{at}: ingredients[{number}]") for number, item in enumerate(entry["ingredients"]))
        _require(any(item.substance for item in ingredients), at, "no ingredient is a controlled substance")
        status = schedule_iii_status(ingredients)
        _require(entry["schedule_1961_iii"] == status, at,
                 f"schedule_1961_iii must be {json.dumps(status)}, as the strengths and data/schedule_1961_iii.json imply")
        _require(entry.get("note") is None or _text(entry["note"]), at, "note must be a string")
        _require(len(set(entry["names"])) == len(entry["names"]), at, "names are repeated")
        _require(len(set(markets)) == len(markets), at, "markets are repeated")
        _require(entry["unit"] in FORM_UNITS[entry["form"]], at,
                 f"a {entry['form']} is not counted by the {entry['unit']}; units for it: {sorted(FORM_UNITS[entry['form']])}")
        _require(entry["unit"] not in DOSAGE_UNITS or all(item.percent is None for item in ingredients), at,
                 f"a {entry['unit']} is a dosage unit: give mg_per_unit, not a percent")
        substances_named = [item.substance for item in ingredients if item.substance]
        _require(len(set(substances_named)) == len(substances_named), at,
                 "a controlled substance appears twice: give it once, with its total per unit")
        found[key] = Product(key, tuple(entry["names"]), tuple(markets), entry["form"], entry["unit"], ingredients,
                             status, entry.get("note"))
        # A traveller names a product by what the box says in the country it was bought in: that must be one product.
        for market in markets:
            same = labels.setdefault((market, found[key].label.casefold(), entry["unit"]), key)
            _require(same == key, at, f"{found[key].label!r} ({entry['unit']}) in {market} is also {same!r}")
    return MappingProxyType({key: found[key] for key in sorted(found)})


def products() -> Mapping[str, Product]:
    """Every medicinal product of data/products.json, by key, ordered by key."""
    return _product_file()


def product(key: str) -> Product | None:
    """The product with that key, or None."""
    return products().get(key) if isinstance(key, str) else None


def exempt_preparation(key: str) -> ExemptPreparation | None:
    """The Schedule III entry (1961 Convention) for preparations of that drug, or None when it has none."""
    return _schedule_iii_file().get(key)


def substances() -> Mapping[str, Substance]:
    """Every substance of the 1961 and 1971 schedules, by key, ordered by key."""
    return _substance_file()[0]


def substance(key: str) -> Substance | None:
    """The substance with that key, or None."""
    return substances().get(key) if isinstance(key, str) else None


def guideline_amounts(key: str | None = None) -> tuple[GuidelineAmount, ...]:
    """The amounts of Annexes II and III, all of them or those of one substance."""
    if key is None:
        return _amount_file()[0]
    return _amount_file()[2].get(key, ()) if isinstance(key, str) else ()


def guideline_amount_for(key: str, form: str | None) -> GuidelineAmount | None:
    """The amount that applies to that form: the one for the form if listed, else the one for any other form."""
    amounts = guideline_amounts(key)
    if form is not None:
        wanted = re.sub(r"[\s_]+", "-", form.strip().lower())
        for item in amounts:
            if item.form == wanted:
                return item
    return next((item for item in amounts if item.form is None), None)


def supply_rule() -> Mapping[str, Any]:
    """The guidelines' supply rule (¶23): days of treatment that make an adequate supply."""
    return _amount_file()[1]


def countries() -> Mapping[str, Country]:
    """Every ISO 3166-1 country, by alpha-2 code, ordered by code."""
    return _countries()


def country(code: str) -> Country | None:
    """The country with exactly that upper-case alpha-2 code, or None."""
    return _countries().get(code) if isinstance(code, str) else None


def is_language(code: str) -> bool:
    """Whether code is a lower-case ISO 639-1 language code."""
    return isinstance(code, str) and code in _languages()


def languages() -> frozenset[str]:
    """Every ISO 639-1 language code, lower case."""
    return _languages()


def schengen_states() -> frozenset[str]:
    """The alpha-2 codes of the states that apply the Schengen acquis in full."""
    return _schengen()


def edition() -> Mapping[str, str]:
    """Which editions the reference data follows."""
    return MappingProxyType({**_substance_file()[1], "iso3166": f"pycountry {_pycountry_version()}"})


def search(text: str, lang: str | None = None) -> list[tuple[str, str]]:
    """Substances and countries whose names contain text, case-insensitively: ("substance"|"country", key)."""
    needle = text.strip().casefold() if isinstance(text, str) else ""
    if not needle:
        return []

    def named(names: Mapping[str, str]) -> list[str]:
        if lang is None:
            return list(names.values())
        return [names[code] for code in dict.fromkeys(("en", lang)) if code in names]

    found: list[tuple[str, str]] = []
    for key, item in substances().items():
        haystack = [key, item.inn, *item.other_names, *named(item.names)]
        if any(needle in candidate.casefold() for candidate in haystack):
            found.append(("substance", key))
    for code, place in countries().items():
        if needle == code.casefold() or any(needle in candidate.casefold() for candidate in named(place.names)):
            found.append(("country", code))
    return found


def check() -> None:
    """Read and check every reference file now rather than on first use."""
    substances()
    guideline_amounts()
    _schedule_iii_file()
    products()
    countries()
    schengen_states()
