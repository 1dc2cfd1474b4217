"""The change texts name every changed field, so two different documents never read the same."""
import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from registry.changes import describe

from .helpers import factories
from .helpers.strategies import DOCUMENTS

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def near(draw, document: dict, section: str) -> dict:
    """`document` with one field, or one item of a list, taken from another valid document of the section."""
    other = draw(DOCUMENTS[section])
    changed = copy.deepcopy(document)
    key = draw(st.sampled_from(sorted(document.keys() | other.keys())))
    old, new = document.get(key), other.get(key)
    if isinstance(old, list) and isinstance(new, list) and old and new and draw(st.booleans()):
        changed[key][draw(st.integers(0, len(old) - 1))] = new[draw(st.integers(0, len(new) - 1))]
    elif key in other:
        changed[key] = copy.deepcopy(new)
    else:
        changed.pop(key)
    return changed


@st.composite
def three_documents(draw):
    """A section, the version in force (or none), and two different next versions, often differing in one field only."""
    section = draw(st.sampled_from(sorted(DOCUMENTS)))
    before = draw(st.one_of(st.none(), DOCUMENTS[section]))
    first = draw(DOCUMENTS[section])
    second = draw(st.one_of(near(first, section), DOCUMENTS[section]))
    return section, before, first, second


@SETTINGS
@given(documents=three_documents())
def test_two_different_documents_never_get_the_same_description(documents):
    section, before, first, second = documents
    assume(first != second)
    assert describe(section, before, first).sentences != describe(section, before, second).sentences


@pytest.mark.parametrize("field, value", [("reference", "NAR/CL.9/2026"), ("notes", {"en": "Only by air."}), ("since", "2020-01-01")])
def test_a_change_of_one_field_of_a_ban_is_named_with_its_new_value(field, value):
    before = factories.import_bans()
    after = copy.deepcopy(before)
    after["bans"][0][field] = value
    sentences = describe("import-bans", before, after).sentences
    assert sentences != ["Republished without any change in content."]
    assert any(field in sentence and str(value.get("en") if isinstance(value, dict) else value) in sentence for sentence in sentences), sentences


def test_a_changed_authority_shows_what_its_contact_data_became():
    before = factories.authorities()
    after = copy.deepcopy(before)
    after["authorities"][0]["phone"] = "+33 1 00 00 00 00"
    (sentence,) = describe("authorities", before, after).sentences
    assert "phone" in sentence and "+33 1 00 00 00 00" in sentence


def test_an_unchanged_document_is_still_described_as_republished_without_change():
    for section, build in factories.DOCUMENTS.items():
        assert describe(section, build(), build()).sentences == ["Republished without any change in content."]


@pytest.mark.parametrize("before", [None, {"supply_exceptions": [{"substances": ["methadone"], "max_supply_days": 90}]}])
def test_an_empty_list_of_supply_exceptions_reads_otherwise_than_none_stated(before):
    # Found by the property above: "supply_exceptions": [] and no such field had read the same.
    stated = factories.requirements(supply_exceptions=[])
    unstated = factories.requirements()
    unstated.pop("supply_exceptions", None)
    old = None if before is None else {**unstated, **before}
    assert describe("requirements", old, stated).sentences != describe("requirements", old, unstated).sentences
