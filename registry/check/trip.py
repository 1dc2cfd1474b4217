"""The traveller check's request: the trip and the medicines carried, read and validated (docs/api.md, "Traveller check")."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError, fields

from .. import reference
from ..documents import (
    DAYS_MAX, MESSAGES, MG_MAX, MG_MIN, Amount, Choice, CountryCode, DocumentSchema, SubstanceKey,
    UniqueList, WholeNumber, shape_problem,
)
from .reasons import FORM_PHRASES

FORMS = tuple(FORM_PHRASES)  # the dosage forms a traveller may name
ITEMS_MAX = 20
TRANSIT_MAX = 10
UNIT_DOSES_MAX = 100_000  # unit doses of one medicine; more is a typing error
# Preparations exempted under Schedule III of the 1961 Convention (¶29); the only class an item may name.
PREPARATION_CLASSES = ("1961-III",)


# -- the request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One medicine carried: total milligrams of active substance in everything carried (¶24)."""

    substance: str
    amount_mg: float
    unit_doses: int | None = None
    form: str | None = None
    preparation_class: str | None = None
    strength_mg: float | None = None  # milligrams of the substance per dosage unit
    concentration_percent: float | None = None  # for an undivided preparation (a syrup, a powder)
    prescription_days: int | None = None  # how long the prescription is for (the certificate's section D)

    @property
    def exemption(self) -> str | None:
        """Why a declared Schedule III preparation (¶29) is or is not exempted: "exempted", "not-listed"
        (the Schedule names no preparation of the drug), "strength-unknown" (the strength that decides was not
        given) or "too-strong"; None when no preparation class was declared."""
        if self.preparation_class != "1961-III":
            return None
        entry = reference.exempt_preparation(self.substance)
        if entry is None or "1961-IV" in reference.substance(self.substance).schedules:
            return "not-listed"
        limits = [(given, limit) for given, limit in ((self.strength_mg, entry.max_mg_per_unit),
                                                      (self.concentration_percent, entry.max_percent))
                  if given is not None and limit is not None]
        if not limits:
            return "strength-unknown"
        return "exempted" if all(given <= limit for given, limit in limits) else "too-strong"

    @property
    def exempted(self) -> bool:
        """Whether the item is a Schedule III preparation within the Schedule's limits (¶29)."""
        return self.exemption == "exempted"

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


class Percent(Amount):
    """A concentration in per cent, above 0 and at most 100 (described as a number, as an amount is)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
            raise ValidationError("Must be a percentage above 0 and at most 100.")
        return value


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
        "description": "1961-III for a preparation exempted under Schedule III of the 1961 Convention (¶29); "
                       "it is exempted only within the Schedule's limits, so give strength_mg or concentration_percent."})
    strength_mg = Amount(allow_none=True, load_default=None, metadata={
        "description": "Milligrams of the substance per dosage unit (tablet, capsule…): decides a Schedule III exemption.",
        "minimum": MG_MIN, "maximum": MG_MAX})
    concentration_percent = Percent(allow_none=True, load_default=None, metadata={
        "description": "Concentration of the substance in an undivided preparation, in per cent: decides a Schedule III "
                       "exemption.", "minimum": 0, "maximum": 100})
    prescription_days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days", allow_none=True, load_default=None, metadata={
        "description": "Duration of the prescription in days, as the model certificate asks (Annex I, section D).",
        "minimum": 1, "maximum": DAYS_MAX})


class CheckRequest(DocumentSchema):
    """A traveller check request (docs/api.md, "Traveller check")."""

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
    too_large = shape_problem(data)  # refused before marshmallow sees it, so that the work stays bounded
    if too_large:
        raise InvalidTrip({"": [too_large]})
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


