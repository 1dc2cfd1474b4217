"""The change texts name every changed field, so two different documents never read the same, and read in six languages."""
import copy
import json
import uuid

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from registry import changes, history, i18n
from registry.changes import describe
from registry.db import db

from .helpers import factories
from .helpers.feeds import Publisher
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


# One change of each kind, and the English sentence the registry has always stored for it (the hash chain covers it).
SAMPLES = {
    "rule added": ("requirements", factories.requirements(rules=[]), factories.requirements(rules=[factories.rule()]),
                   "Rule added: prescription for 1961-I, always."),
    "ban lifted": ("import-bans", factories.import_bans(bans=[factories.ban()]), factories.import_bans(bans=[]),
                   "Ban lifted: diazepam (whole country), since 2020-01-01, no special licence."),
    "customs changed": ("requirements", factories.requirements(),
                        factories.requirements(customs={"declare_on_entry": False, "endorsement": True, "show_on_request": True}),
                        "Customs, declare on entry changed from yes to no."),
    "first notification": ("import-bans", None, factories.import_bans(bans=[]), "First notification of article 13 import bans."),
    "withdrawn": ("authorities", factories.authorities(), None, "The issuing authorities section was withdrawn; nothing is in force."),
}
# The registry's own words each sample says, which every language words in its own terms.
SAMPLE_WORDS = {"rule added": "always", "ban lifted": "whole country", "customs changed": "Customs, declare on entry",
                "first notification": "article 13 import bans", "withdrawn": "issuing authorities"}
# And its data, which no language rewords.
SAMPLE_DATA = {"rule added": ["prescription", "1961-I"], "ban lifted": ["diazepam", "2020-01-01"], "customs changed": [],
               "first notification": [], "withdrawn": []}
OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != "en"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_english_sentences_are_those_the_registry_has_always_stored(sample):
    section, before, after, sentence = SAMPLES[sample]
    difference = describe(section, before, after)
    assert sentence in difference.sentences
    assert difference.in_words() == difference.sentences == [str(phrase) for phrase in difference.phrases]


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
@pytest.mark.parametrize("sample", SAMPLES)
def test_each_language_words_the_sentences_in_its_terms_and_keeps_the_data(sample, lang):
    section, before, after, sentence = SAMPLES[sample]
    difference = describe(section, before, after)
    translate = i18n.catalog(lang).gettext

    worded = dict(zip(difference.sentences, difference.in_words(translate)))[sentence]
    assert worded != sentence
    assert translate(SAMPLE_WORDS[sample]) in worded
    assert all(value in worded for value in SAMPLE_DATA[sample])


@pytest.fixture
def published(app, client, secretariat):
    """France's import bans: a first notification, a ban added, then withdrawn; returns their rows' seq."""
    publisher = Publisher(client, secretariat)
    reference = f"NAR/{uuid.uuid4().hex}"  # a history no other test has, whatever the second it is published in
    publisher.publish("FR", "import-bans", factories.import_bans(bans=[]))
    publisher.publish("FR", "import-bans", factories.import_bans(bans=[factories.ban(reference=reference)]))
    publisher.withdraw("FR", "import-bans")
    with app.app_context():
        yield history.versions("FR", "import-bans")


def test_in_english_a_version_reads_as_it_was_stored(published):
    for row in published:
        assert changes.in_language(row, "en") == changes.Wording("en", tuple(history.meta(row)["changes"]))


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_in_another_language_a_version_reads_as_its_documents_are_worded_in_it(published, lang):
    before = None
    for row in published:
        after = history.document(row)
        wording = changes.in_language(row, lang)
        assert wording == changes.Wording(lang, tuple(describe("import-bans", before, after).in_words(i18n.catalog(lang).gettext)))
        assert len(wording.sentences) == len(history.meta(row)["changes"])
        before = after


def test_a_version_whose_stored_sentences_are_worded_otherwise_stays_in_english_and_says_so(published):
    # As a version published by an older wording, or restored from a bundle, would read.
    row = published[1]
    row.changes = json.dumps(["Ban added: diazepam, in an older wording."])
    db.session.flush()

    assert changes.in_language(row, "fr") == changes.Wording("en", ("Ban added: diazepam, in an older wording.",))
    assert changes.in_language(published[0], "fr").lang == "fr"
