"""Reference data: controlled substances, guideline amounts, countries, languages and the Schengen states.

The one module that reads the files in ``data/`` (their sources and editions are in
``data/README.md``) and the ISO tables shipped with ``pycountry``. Everything is read
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

    def name(self, lang: str) -> str:
        """The name in that language, or the English one."""
        return self.names.get(lang) or self.names["en"]


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
    _only_fields(entry, {"key", "inn", "names", "schedules", "other_names"},
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
    for item in schedules:
        _require(item in SCHEDULE_CLASSES, where, f"{item!r} is not a schedule class {SCHEDULE_CLASSES}")
    _require(len(set(schedules)) == len(schedules), where, "schedules are repeated")
    # Single Convention art. 2(5): Schedule IV drugs are also in Schedule I.
    _require("1961-IV" not in schedules or "1961-I" in schedules, where, "a 1961-IV substance must also be 1961-I")
    other_names = entry.get("other_names", [])
    _require(isinstance(other_names, list) and all(_text(item) for item in other_names), where,
             "other_names must be a list of non-empty strings")
    ordered = tuple(cls for cls in SCHEDULE_CLASSES if cls in schedules)
    return Substance(key, entry["inn"], MappingProxyType(dict(names)), ordered, tuple(other_names))


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
def _amount_file() -> tuple[tuple[GuidelineAmount, ...], Mapping[str, Any]]:
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
    return tuple(amounts), _freeze(rule)


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


@lru_cache(maxsize=None)
def _countries() -> Mapping[str, Country]:
    try:
        catalog = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"])
    except OSError:
        raise ReferenceDataError("pycountry ships no zh_CN catalogue for ISO 3166-1") from None
    short_zh = _chinese_short_names()
    found: dict[str, Country] = {}
    for record in pycountry.countries:
        # Users search for "Bolivia", not "Bolivia, Plurinational State of"; the Chinese name is as short
        # (data/country_names_zh.json where the catalogue's is a formal or a mistaken one).
        names = {"en": getattr(record, "common_name", None) or record.name}
        chinese = short_zh.get(record.alpha_2) or catalog.gettext(record.name)
        if chinese != record.name:
            names["zh"] = chinese
        found[record.alpha_2] = Country(record.alpha_2, MappingProxyType(names))
    unknown = sorted(set(short_zh) - set(found))
    _require(not unknown, "data/country_names_zh.json: names", f"{unknown} are not ISO 3166-1 alpha-2 codes")
    return MappingProxyType({code: found[code] for code in sorted(found)})


def _chinese_short_names() -> Mapping[str, str]:
    data = _read("country_names_zh.json")
    where = "data/country_names_zh.json"
    _only_fields(data, {"source", "style", "names"}, {"source", "style", "names"}, where)
    _require(isinstance(data["names"], dict), f"{where}: names", "must be an object keyed by country code")
    for code, name in data["names"].items():
        _require(_text(name) and "(" not in name and ")" not in name, f"{where}: names.{code}",
                 "must be a name, with full-width parentheses")
    return data["names"]


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
    _require(value is None or (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0), where,
             f"{name} must be null or a positive number")


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
    amounts = _amount_file()[0]
    return amounts if key is None else tuple(item for item in amounts if item.substance == key)


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
    countries()
    schengen_states()
