"""The traveller check's request: the trip and the medicines carried, read and validated (docs/api.md, "Traveller check").

A medicine is named in one of three ways, as people know it: a substance and the total
milligrams carried; a substance, its strength per unit and the number of units; or a product
(data/products.json) and the number of units. `read_trip` turns each into one `Item` per
controlled substance, with its total, so that the rules count milligrams of substances only
(¶24) and the answer can say how each total was computed.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from marshmallow import ValidationError, fields, missing, validates_schema

from .. import reference
from ..documents import (
    DAYS_MAX, MESSAGES, MG_MAX, MG_MIN, Amount, Choice, CountryCode, DocumentSchema, SubstanceKey,
    UniqueList, WholeNumber, shape_problem,
)
from ..i18n import close_substances
from ..search import close_products
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
    product: str | None = None  # the product it was counted from (data/products.json)
    expressed_as: str | None = None  # what the product's strength counts: "base" or a salt
    not_controlled: tuple[str, ...] = ()  # the product's other ingredients, which nobody controls (INNs)
    mg_per_unit: float | None = None  # when the total was counted: milligrams per unit, times unit_doses

    @property
    def computed(self) -> dict | None:
        """How the total was counted from a strength per unit (a product's or the one given) and the number of
        units; None when the request gave the total."""
        if self.mg_per_unit is None:
            return None
        return {"product": self.product, "unit_doses": self.unit_doses, "mg_per_unit": self.mg_per_unit,
                "amount_mg": self.amount_mg, "expressed_as": self.expressed_as}

    # The three below are asked for each country on the trip, so each is worked out once per item.
    @cached_property
    def exemption(self) -> str | None:
        """Why a declared Schedule III preparation (¶29) is or is not exempted: "exempted", "not-listed"
        (the Schedule names no preparation of the drug), "strength-unknown" (the strength that decides was not
        given) or "too-strong"; None when no preparation class was declared."""
        if self.preparation_class != "1961-III":
            return None
        return reference.schedule_iii_exemption(self.substance, self.strength_mg, self.concentration_percent)

    @cached_property
    def exempted(self) -> bool:
        """Whether the item is a Schedule III preparation within the Schedule's limits (¶29)."""
        return self.exemption == "exempted"

    @cached_property
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


def _times(mg_per_unit: float, units: int) -> float:
    """Milligrams in so many units, in decimal, so that 8.4 mg × 10 patches is 84 mg and not 84.00000000000001."""
    total = Decimal(str(mg_per_unit)) * units
    return int(total) if total == total.to_integral_value() else float(total)


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


class NamedSubstance(SubstanceKey):
    """A substance key; an unknown one is refused with the substances and products named closest to it."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as refusal:
            raise ValidationError(f"{refusal.messages[0]}{_did_you_mean(value)}") from None


class ProductKey(Choice):
    """The key of a product of data/products.json; an unknown one is refused with the closest products."""

    def __init__(self, **kwargs):
        super().__init__(reference.products(), what="known product key", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and reference.product(value) is not None:
            return value
        shown = repr(value) if not isinstance(value, str) else f"'{value[:57]}'"
        raise ValidationError(f"{shown} is not a known product key; products are listed at /api/v1/products.{_did_you_mean(value)}")


def _did_you_mean(value) -> str:
    """" Did you mean …?", naming the substances and products closest to a typed name, or nothing."""
    if not isinstance(value, str):
        return ""
    named = [f"'{key}' ({reference.substance(key).name('en')})" for key in close_substances(value[:200])]
    named += [f"product '{key}' ({reference.product(key).label})" for key in close_products(value[:200])]
    return f" Did you mean {', '.join(named)}?" if named else ""


# What a product names itself, so that an item naming a product may not name it too.
PRODUCT_GIVES = ("substance", "amount_mg", "strength_mg", "concentration_percent", "form", "preparation_class")


class CheckItem(DocumentSchema):
    """One medicine in a check request: a substance and its total, a substance and its strength per unit
    and number of units, or a product and its number of units."""

    substance = NamedSubstance(error_messages=MESSAGES, metadata={
        "description": "Substance key, as listed at /api/v1/substances; with amount_mg, or with strength_mg and unit_doses.",
        "enum": list(reference.substances())})
    product = ProductKey(metadata={
        "description": "Product key (data/products.json), with unit_doses: the registry counts each controlled "
                       "ingredient's total from the product's strength per unit, and splits combinations."})
    amount_mg = Amount(error_messages=MESSAGES, metadata={
        "description": "Milligrams of active substance in this medicine; the total of each substance counts (¶24).",
        "minimum": MG_MIN, "maximum": MG_MAX})
    unit_doses = WholeNumber(minimum=1, maximum=UNIT_DOSES_MAX, allow_none=True, load_default=None, metadata={
        "description": "Tablets, patches, ampoules… (¶30: 20 or fewer need no prescription); with a product or "
                       "strength_mg, the number the total is counted from.", "minimum": 1, "maximum": UNIT_DOSES_MAX})
    form = Choice(FORMS, what="dosage form", allow_none=True, load_default=None,
                  metadata={"description": "Annex II gives fentanyl a separate amount for transdermal patches."})
    preparation_class = Choice(PREPARATION_CLASSES, what="preparation class", allow_none=True, load_default=None, metadata={
        "description": "1961-III for a preparation exempted under Schedule III of the 1961 Convention (¶29); "
                       "it is exempted only within the Schedule's limits, so give strength_mg or concentration_percent."})
    strength_mg = Amount(allow_none=True, load_default=None, metadata={
        "description": "Milligrams of the substance per dosage unit (tablet, capsule…): with unit_doses and no amount_mg, "
                       "the total is strength_mg × unit_doses; it decides a Schedule III exemption.",
        "minimum": MG_MIN, "maximum": MG_MAX})
    concentration_percent = Percent(allow_none=True, load_default=None, metadata={
        "description": "Concentration of the substance in an undivided preparation, in per cent: decides a Schedule III "
                       "exemption.", "minimum": 0, "maximum": 100})
    prescription_days = WholeNumber(minimum=1, maximum=DAYS_MAX, unit=" days", allow_none=True, load_default=None, metadata={
        "description": "Duration of the prescription in days, as the model certificate asks (Annex I, section D).",
        "minimum": 1, "maximum": DAYS_MAX})

    @validates_schema(pass_original=True)
    def _one_way_of_naming(self, data, original, **kwargs):
        """A product and its units, a substance and its total, or a substance, its strength and its units."""
        given = {name for name in original if name in self.fields} if isinstance(original, dict) else set()
        if "product" in given:
            for name in PRODUCT_GIVES:
                if name in given:
                    raise ValidationError(f"An item naming a product gives no {name}: the product says it.", name)
            if data.get("unit_doses") is None:
                raise ValidationError("With a product, give unit_doses: the number of tablets, patches… carried.", "unit_doses")
            return
        if data.get("substance") is None:
            if "substance" not in given:
                raise ValidationError("Give a substance (with amount_mg, or strength_mg and unit_doses) or a product "
                                      "(with unit_doses).", "substance")
            return  # the substance was refused already
        if data.get("amount_mg") is not None or "amount_mg" in given:
            return
        if data.get("strength_mg") is None:
            raise ValidationError("Give amount_mg, the total, or strength_mg and unit_doses.", "amount_mg")
        if data.get("unit_doses") is None:
            raise ValidationError("With strength_mg and no amount_mg, give unit_doses: the total is counted from them.", "unit_doses")


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


# One schema reads every request: making one copies its fields, which cost as much as the reading; loading changes nothing in it.
REQUEST = CheckRequest()
ITEM = REQUEST.fields["items"].inner.schema


def read_trip(data: Any) -> Trip:
    """The trip in a request body, or InvalidTrip naming every offending field by its path."""
    if not isinstance(data, dict):
        raise InvalidTrip({"": ["The request must be a JSON object."]})
    too_large = shape_problem(data)  # refused before marshmallow sees it, so that the work stays bounded
    if too_large:
        raise InvalidTrip({"": [too_large]})
    loaded = _valid(data)
    if loaded is None:
        try:
            loaded = REQUEST.load(data)
        except ValidationError as error:
            problems: dict[str, list[str]] = {}
            _flatten(error.messages, "", problems)
            raise InvalidTrip(problems) from None
    return Trip(
        destination=loaded["destination"],
        departure=loaded["departure"],
        transit=tuple(loaded["transit"] or ()),
        days=loaded["days"],
        items=tuple(item for entry in loaded["items"] for item in _items(entry)),
    )


def _valid(data: dict) -> dict | None:
    """What REQUEST.load(data) returns, for a request with nothing wrong in it; None when anything is (or
    might be): marshmallow then reads it again, and words every problem.

    Marshmallow's schema machinery costs several times the fields' own checks, and runs for every field
    declared, given or not. Here each value given goes through its own field's `deserialize` (the same
    checks, the same conversions), a field not given takes its `load_default`, and each item passes the
    item schema's own validator (`_one_way_of_naming`); the list of items is bounded as UniqueList bounds it.
    tests/check/test_trip_reading.py holds this to REQUEST.load over generated requests, valid and not."""
    try:
        loaded = _fields(REQUEST, data, skip="items")
        items = data.get("items")
        bounds = REQUEST.fields["items"]
        if loaded is None or not isinstance(items, list) or not bounds.minimum <= len(items) <= bounds.maximum:
            return None
        loaded["items"] = entries = []
        for item in items:
            entry = _fields(ITEM, item) if isinstance(item, dict) else None
            if entry is None:
                return None
            ITEM._one_way_of_naming(entry, item)
            entries.append(entry)
    except ValidationError:
        return None
    return loaded


def _fields(schema, data: dict, skip: str | None = None) -> dict | None:
    """The fields of one object, each by its own field's checks; None for a field unknown or required and not given."""
    declared = schema.fields
    if not declared.keys() >= data.keys():
        return None
    loaded = {}
    for name, field in declared.items():
        if name == skip:
            continue
        if name in data:
            loaded[name] = field.deserialize(data[name])
        elif field.required:
            return None
        elif field.load_default is not missing:
            loaded[name] = field.load_default
    return loaded


def _items(entry: dict) -> tuple[Item, ...]:
    """The items an entry of the request stands for: one per controlled substance, with its total."""
    if entry.get("product") is None:
        fields_ = {name: value for name, value in entry.items() if name != "product"}
        if fields_.get("amount_mg") is None:
            fields_.update(amount_mg=_times(fields_["strength_mg"], fields_["unit_doses"]), mg_per_unit=fields_["strength_mg"])
        return (Item(**fields_),)
    product = reference.product(entry["product"])
    units = entry["unit_doses"]
    others = tuple(item.inn for item in product.ingredients if item.substance is None)
    return tuple(Item(
        substance=ingredient.substance,
        amount_mg=_times(ingredient.mg_per_unit, units),
        unit_doses=units,
        form=product.form,
        # Schedule III names preparations of some drugs only: Item.exemption then decides by the strength.
        preparation_class="1961-III" if reference.exempt_preparation(ingredient.substance) else None,
        strength_mg=ingredient.mg_per_unit if ingredient.percent is None else None,
        concentration_percent=ingredient.percent,
        prescription_days=entry.get("prescription_days"),
        product=product.key,
        expressed_as=ingredient.expressed_as,
        not_controlled=others,
        mg_per_unit=ingredient.mg_per_unit,
    ) for ingredient in product.controlled)


def _flatten(messages, path: str, out: dict) -> None:
    if isinstance(messages, dict):
        for key, inner in messages.items():
            _flatten(inner, path if key == "_schema" else (f"{path}.{key}" if path else str(key)), out)
    elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        out.setdefault(path, []).extend(messages)
    else:
        for item in messages:
            _flatten(item, path, out)


