"""read_trip's quick reading (trip._valid) gives what marshmallow's full load gives, or leaves the request to it.

The quick reading runs each given value through its own field's checks and skips the schema's
machinery; whatever it accepts must be exactly what REQUEST.load returns, and whatever
REQUEST.load refuses it must leave alone, so that marshmallow words the errors.
"""
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from registry.check import trip as trips
from registry.check.trip import ITEM, REQUEST, CheckItem, CheckRequest

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Values each field may be given: (valid ones, refused ones); besides these, near misses of every kind.
NEAR_MISSES = [None, True, False, "", "x", 0, -1, 1.5, 30.0, math.inf, 10**30, [], {}, [None], {"a": 1}]
COUNTRIES = (["FR", "DE", "CH", "JP", "US"], ["fr", "XX", "EU"])
ITEM_VALUES = {
    "substance": (["morphine", "fentanyl", "diazepam", "methylphenidate", "cannabis"], ["Morphine", "ritalin"]),
    "product": (["ritalin-10-mg-tablet", "ritalin-20-mg-tablet"], ["no-such-product", "Ritalin"]),
    "amount_mg": ([2100, 84, 0.5, 0.001, 10_000_000, 2100.0], [0.0001, 10_000_001]),
    "unit_doses": ([1, 20, 70, 100_000, 42.0], [100_001, 0, 42.5]),
    "form": (["tablet", "transdermal-patch"], ["syrup", "Tablet"]),
    "preparation_class": (["1961-III"], ["1961-II"]),
    "strength_mg": ([10, 0.5, 30.0], [0]),
    "concentration_percent": ([0.1, 100], [100.5, 0]),
    "prescription_days": ([1, 30, 3650, 30.0], [3651]),
    "colour": ([], ["red"]),  # no such field
}
TOP_VALUES = {
    "destination": COUNTRIES,
    "departure": COUNTRIES,
    "transit": ([["CH"], ["CH", "DE"], []], [["CH", "CH"], ["ch"], ["FR", "DE", "CH", "JP", "US"] * 3]),
    "days": ([1, 21, 3650, 21.0], [3651, 21.5]),
    "extra": ([], ["yes"]),  # no such field
}


def values(pools):
    """A valid value most of the time, a refused one or a near miss otherwise."""
    valid, refused = pools
    return st.sampled_from(valid * 20 + refused + NEAR_MISSES[::2]) if valid else st.sampled_from(refused + NEAR_MISSES)


def objects(pools: dict, given: tuple[str, ...], *, optional: tuple[str, ...] | None = None):
    """Objects with the fields `given` and some of the `optional` ones (by default, any other)."""
    optional = tuple(name for name in pools if name not in given) if optional is None else optional
    return st.fixed_dictionaries({name: values(pools[name]) for name in given},
                                 optional={name: values(pools[name]) for name in optional})


# An item names a medicine in one of three ways (CheckItem._one_way_of_naming), each with the fields it may have.
ITEMS = st.one_of(
    *[objects(ITEM_VALUES, ("substance", "amount_mg"), optional=(
        "unit_doses", "form", "preparation_class", "strength_mg", "concentration_percent", "prescription_days")),
      objects(ITEM_VALUES, ("product", "unit_doses"), optional=("prescription_days",)),
      objects(ITEM_VALUES, ("substance", "strength_mg", "unit_doses"), optional=(
          "form", "preparation_class", "concentration_percent", "prescription_days"))] * 3,
    objects(ITEM_VALUES, ()),
    st.sampled_from(NEAR_MISSES),
)
SOME_ITEMS = st.one_of(*[st.lists(ITEMS, min_size=1, max_size=3)] * 3, st.lists(ITEMS, min_size=0, max_size=22))
REQUESTS = st.builds(
    lambda top, items: {**top, **({"items": items} if items is not None else {})},
    st.one_of(*[objects(TOP_VALUES, ("destination",), optional=("departure", "transit", "days"))] * 6,
              objects(TOP_VALUES, ())),
    st.one_of(*[SOME_ITEMS] * 6, st.sampled_from(NEAR_MISSES)),
)


def full_load(data):
    try:
        return REQUEST.load(data)
    except ValidationError:
        return None


@SETTINGS
@given(REQUESTS)
def test_the_quick_reading_gives_what_marshmallow_gives_or_nothing(data):
    data = json.loads(json.dumps(data))  # as a body parses: JSON's own values only
    quick, full = trips._valid(data), full_load(data)
    if full is None:
        assert quick is None
    elif quick is not None:
        assert quick == full
        assert [type(value) for value in quick.values()] == [type(full[name]) for name in quick]


def test_the_quick_reading_reads_the_usual_requests():
    usual = [
        {"destination": "FR", "transit": ["CH"], "departure": "DE", "days": 21, "items": [
            {"substance": "morphine", "amount_mg": 2100, "unit_doses": 70, "form": "tablet"},
            {"substance": "fentanyl", "amount_mg": 84, "unit_doses": 10, "form": "transdermal-patch"}]},
        {"destination": "JP", "items": [{"product": "ritalin-10-mg-tablet", "unit_doses": 30}]},
        {"destination": "JP", "departure": None, "transit": None, "days": 30.0,
         "items": [{"substance": "methylphenidate", "strength_mg": 10, "unit_doses": 30, "prescription_days": 30}]},
    ]
    for data in usual:
        assert trips._valid(data) is not None, data
        assert trips._valid(data) == REQUEST.load(data)


def test_the_quick_reading_knows_every_check_the_schemas_run():
    """Were a schema-level hook added, the quick reading would have to run it too: it runs only these."""
    assert not any(CheckRequest._hooks.values())
    assert [name for name, *_ in CheckItem._hooks["validates_schema"]] == ["_one_way_of_naming"]
    assert {tag for tag, hooks in CheckItem._hooks.items() if hooks} == {"validates_schema"}
    assert ITEM.__class__ is CheckItem
