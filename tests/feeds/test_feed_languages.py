"""The Atom feeds in the six languages (docs/feeds.md, "Languages"): the same entries under the same ids, in other words."""
import json
import uuid
from urllib.parse import urlsplit

import pytest
from lxml import etree

from registry import changes, history as history_model, i18n, reference
from registry.db import db
from registry.feeds import rendering as atom
from registry.models import FeedArchive

from ..helpers import factories
from ..helpers.feeds import ATOM, FEEDS, PAGE, Publisher, parse

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML = "{http://www.w3.org/1999/xhtml}"
OTHER_LANGUAGES = [lang for lang in i18n.LANGUAGES if lang != "en"]
ARCHIVES = ["/feeds/changes/archive/1.atom", "/feeds/countries/FR/archive/1.atom", "/feeds/sections/import-bans/archive/1.atom",
            "/feeds/substances/diazepam/archive/1.atom"]


@pytest.fixture
def history(app, client, secretariat):
    """Two archive documents' worth of French import bans, a withdrawal, and a German rule."""
    app.config["REGISTRY_FEED_PAGE_SIZE"] = PAGE
    publisher = Publisher(client, secretariat)
    for number in range(2 * PAGE + 1):
        publisher.publish("FR", "import-bans", factories.import_bans(bans=[
            {"substance": "diazepam", "since": "2020-01-01", "region": None, "special_licence": bool(number % 2)}]))
    publisher.withdraw("FR", "import-bans")
    publisher.publish("DE", "requirements", factories.requirements())
    return publisher


def document(client, path: str):
    answer = client.get(path)
    assert answer.status_code == 200, path
    return etree.fromstring(answer.data)


def entries(root) -> list:
    return root.findall(f"{ATOM}entry")


def links(root) -> dict[str, str]:
    return {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}


def with_lang(path: str, lang: str) -> str:
    return f"{path}?lang={lang}"


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_each_feed_in_each_language_holds_the_same_entries_under_the_same_ids(client, history, lang):
    for path in FEEDS + ARCHIVES:
        english, translated = document(client, path), document(client, with_lang(path, lang))

        assert translated.get(XML_LANG) == i18n.HTML_LANG[lang]
        assert [entry.findtext(f"{ATOM}id") for entry in entries(translated)] == \
               [entry.findtext(f"{ATOM}id") for entry in entries(english)], path
        assert [len(sentences(entry)) for entry in entries(translated)] == [len(sentences(entry)) for entry in entries(english)]
        assert translated.findtext(f"{ATOM}id") != english.findtext(f"{ATOM}id")  # a feed of its own words
        parse(client, with_lang(path, lang))  # valid Atom, as a feed reader reads it


def sentences(entry) -> list[str]:
    return [item.text for item in entry.find(f"{ATOM}summary").iter(f"{XHTML}li")]


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_titles_names_and_change_sentences_are_in_the_language(app, client, history, lang):
    translate = i18n.catalog(lang).gettext
    english, translated = document(client, "/feeds/countries/FR.atom"), document(client, with_lang("/feeds/countries/FR.atom", lang))

    for mine, theirs in zip(entries(translated), entries(english)):
        labels = [category.get("label") for category in mine.findall(f"{ATOM}category")]
        assert labels == [reference.country("FR").name(lang), translate(changes.SECTION_PHRASES["import-bans"])]
        if translate("%(country)s — %(section)s, version %(number)s") != "%(country)s — %(section)s, version %(number)s":
            assert mine.findtext(f"{ATOM}title") != theirs.findtext(f"{ATOM}title")
        assert mine.find(f"{ATOM}summary").get(XML_LANG) is None and theirs.find(f"{ATOM}summary").get(XML_LANG) is None
        number = int(mine.findtext(f"{ATOM}id").rpartition("/")[2])
        with app.app_context():
            row = history_model.version("FR", "import-bans", number)
            assert sentences(mine) == list(changes.in_language(row, lang).sentences)
            assert sentences(theirs) == history_model.meta(row)["changes"]
        assert len(sentences(mine)) == len(sentences(theirs)) and sentences(mine) != sentences(theirs)
    if translate(atom.REGISTRY) != atom.REGISTRY:
        assert translated.findtext(f"{ATOM}author/{ATOM}name") == translate(atom.REGISTRY)


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_change_sentences_that_cannot_be_worded_anew_stay_in_english_and_say_so(app, client, history, lang):
    published = history.publish("DE", "import-bans", factories.import_bans(bans=[factories.ban(reference=uuid.uuid4().hex)]))
    with app.app_context():  # as a version published by an older wording, or restored from a bundle, would read
        row = history_model.version("DE", "import-bans", published["version"])
        row.changes = json.dumps(["Ban added: diazepam, in an older wording."])
        db.session.commit()

    entry = entries(document(client, with_lang("/feeds/countries/DE.atom", lang)))[0]

    assert entry.findtext(f"{ATOM}id").endswith(f"DE/import-bans/{published['version']}")
    assert entry.find(f"{ATOM}summary").get(XML_LANG) == "en"
    assert sentences(entry) == ["Ban added: diazepam, in an older wording."]
    assert entries(document(client, with_lang("/feeds/countries/DE.atom", lang)))[1].find(f"{ATOM}summary").get(XML_LANG) is None


@pytest.mark.parametrize("lang", OTHER_LANGUAGES)
def test_every_link_of_a_language_variant_stays_in_its_language_but_the_json(client, history, lang):
    root = document(client, with_lang("/feeds/changes/archive/2.atom", lang))

    for relation, href in links(root).items():
        assert urlsplit(href).query == f"lang={lang}", relation
    for entry in entries(root):
        found = links(entry)
        assert urlsplit(found["alternate"]).query == f"lang={lang}"
        assert urlsplit(found["related"]).query == ""


def test_walking_prev_archive_in_a_language_recovers_every_entry_of_the_english_feed(client, history):
    def walk(path):
        ids = []
        while path:
            root = document(client, path)
            assert root.get(XML_LANG) == "ru"
            ids += [entry.findtext(f"{ATOM}id") for entry in entries(root)]
            href = links(root).get("prev-archive")
            path = f"{urlsplit(href).path}?{urlsplit(href).query}" if href else None
        return ids

    english = [entry.findtext(f"{ATOM}id") for path in ["/feeds/changes.atom", "/feeds/changes/archive/1.atom"]
               for entry in entries(document(client, path))]
    assert walk(with_lang("/feeds/changes.atom", "ru")) == english


@pytest.mark.parametrize("base_url", [None, "https://registry.example"], ids=["rendered-each-time", "stored"])
def test_language_variants_leave_the_english_archive_documents_byte_identical(app, client, history, base_url):
    app.config["REGISTRY_BASE_URL"] = base_url
    before = {path: client.get(path).data for path in ARCHIVES}

    variants = {(path, lang): client.get(with_lang(path, lang)).data for path in ARCHIVES for lang in OTHER_LANGUAGES}
    history.publish("FR", "import-bans", factories.import_bans())

    assert {path: client.get(path).data for path in ARCHIVES} == before
    assert {path: client.get(with_lang(path, "en")).data for path in ARCHIVES} == before
    assert {key: client.get(with_lang(*key)).data for key in variants} == variants
    if base_url:
        with app.app_context():
            stored = db.session.query(FeedArchive.variant).distinct().count()
        assert stored == len(i18n.LANGUAGES)  # one archive store per language, the English one as it was


def test_an_unknown_language_gets_the_english_document(client, history):
    for path in FEEDS + ARCHIVES:
        assert client.get(with_lang(path, "de")).data == client.get(path).data


def test_each_language_has_its_own_validators(client, history):
    etags = {lang: client.get(with_lang("/feeds/changes.atom", lang)).headers["ETag"] for lang in i18n.LANGUAGES}

    assert len(set(etags.values())) == len(i18n.LANGUAGES)
    for lang, etag in etags.items():
        assert client.get(with_lang("/feeds/changes.atom", lang), headers={"If-None-Match": etag}).status_code == 304


def test_the_feeds_name_the_sections_as_the_change_sentences_do():
    assert atom.SECTION_WORDS == changes.SECTION_PHRASES

