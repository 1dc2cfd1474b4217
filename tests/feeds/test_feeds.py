"""The Atom feeds as a subscriber's feed reader sees them (docs/api.md, "Atom feeds"; RFC 4287, RFC 5005 §4)."""
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from registry import accounts, history, publishing

from registry.feeds import rendering as atom
from registry.db import utcnow
from registry.db import db
from registry.models import FeedArchive

from ..helpers import factories
from ..helpers.apps import make_app
from ..helpers.feeds import FEEDS, FH, PAGE, Publisher, every_change, link, parse, tag, touching, walk

BANNABLE = ["methylphenidate", "diazepam", "lorazepam", "alprazolam"]
SECTIONS = ["requirements", "authorities", "import-bans"]


@pytest.fixture
def small_pages(app):
    """Archive documents of PAGE entries, so that a few publications fill several."""
    app.config["REGISTRY_FEED_PAGE_SIZE"] = PAGE
    return PAGE


@pytest.fixture
def publisher(client, secretariat):
    return Publisher(client, secretariat)


def varied_history(publisher: Publisher, count: int) -> None:
    """`count` publications over four countries and every section: bans added and lifted, rules changed, withdrawals."""
    countries = ["FR", "DE", "JP", "BR"]
    for number in range(count):
        country, section = countries[number % 4], SECTIONS[(number // 4) % 3]
        if number % 23 == 22 and (country, section) in publisher.published:
            publisher.withdraw(country, section)
            continue
        if section == "import-bans":
            banned = [key for index, key in enumerate(BANNABLE) if (number >> index) & 1]
            document = factories.import_bans(bans=[
                {"substance": key, "since": "2020-01-01", "region": None, "special_licence": bool(number % 2)} for key in banned])
        elif section == "requirements":
            document = factories.requirements(max_supply_days=10 + number, rules=[
                {"applies_to": [BANNABLE[number % 4]], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 100 + number}])
        else:
            document = factories.authorities(effective_from=(datetime(2026, 1, 1) + timedelta(days=number)).date().isoformat())
        publisher.publish(country, section, document)


# -- what a subscriber reads -----------------------------------------------------------------


def test_every_feed_parses_in_a_real_feed_reader_and_shows_the_right_entries(client, publisher):
    fr_bans = publisher.publish("FR", "import-bans", factories.import_bans())
    fr_rules = publisher.publish("FR", "requirements", factories.requirements())
    de_rules = publisher.publish("DE", "requirements", factories.requirements(rules=[]))
    de_bans = publisher.publish("DE", "import-bans", factories.import_bans(bans=[]))

    expected = {
        "/feeds/changes.atom": [de_bans, de_rules, fr_rules, fr_bans],
        "/feeds/countries/FR.atom": [fr_rules, fr_bans],
        "/feeds/sections/import-bans.atom": [de_bans, fr_bans],
        "/feeds/substances/methylphenidate.atom": [fr_rules, fr_bans],
        "/feeds/sections/authorities.atom": [],
        "/feeds/countries/JP.atom": [],
    }
    for path, metas in expected.items():
        parsed = parse(client, path)
        assert [entry.id for entry in parsed.entries] == [tag(meta) for meta in metas], path


def test_an_entry_names_the_version_says_what_changed_and_links_its_page_and_json(app, client, publisher):
    app.config["REGISTRY_BASE_URL"] = "https://registry.example"
    publisher.publish("FR", "import-bans", factories.import_bans())
    meta = publisher.publish("FR", "import-bans", factories.import_bans(bans=[]))

    entry = parse(client, "/feeds/countries/FR.atom").entries[0]

    assert entry.id == "tag:registry.example,2026:FR/import-bans/2"
    assert entry.title == "France — article 13 import bans, version 2"
    assert entry.updated == meta["published_at"]
    assert entry.author == meta["published_by"] == "Registry secretariat"
    assert {(item.term, item.label) for item in entry.tags} == {("FR", "France"), ("import-bans", "article 13 import bans")}
    links = {item.rel: (item.href, item.type) for item in entry.links}
    assert links["alternate"] == ("https://registry.example/countries/FR/import-bans/versions/2", "text/html")
    assert links["related"] == ("https://registry.example/api/v1/countries/FR/import-bans/versions/2", "application/json")
    assert "Ban lifted: methylphenidate (whole country)" in entry.summary
    assert "<li>" in entry.summary
    assert client.get(urlsplit(links["related"][0]).path).json["meta"]["hash"] == meta["hash"]
    assert client.get(urlsplit(links["alternate"][0]).path).status_code == 200


def test_each_feed_links_the_page_that_shows_the_same_thing(client):
    for path, page in (("/feeds/changes.atom", "/"), ("/feeds/countries/FR.atom", "/countries/FR"),
                       ("/feeds/sections/import-bans.atom", "/import-bans"), ("/feeds/sections/requirements.atom", "/countries"),
                       ("/feeds/substances/methylphenidate.atom", "/substances/methylphenidate")):
        assert link(parse(client, path), "alternate") == page
        assert client.get(page).status_code == 200, page


def test_a_withdrawn_section_is_an_entry_too(client, publisher):
    publisher.publish("FR", "import-bans", factories.import_bans())
    publisher.withdraw("FR", "import-bans")

    entry = parse(client, "/feeds/sections/import-bans.atom").entries[0]

    assert entry.title == "France — article 13 import bans, version 2 (withdrawn)"
    assert "withdrawn; nothing is in force" in entry.summary
    assert entry.id in [item.id for item in parse(client, "/feeds/substances/methylphenidate.atom").entries]


def test_feeds_are_atom_with_validators_and_cache_control(client, publisher):
    meta = publisher.publish("FR", "requirements", factories.requirements())
    response = client.get("/feeds/countries/FR.atom")
    assert response.content_type == "application/atom+xml; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.last_modified.strftime("%Y-%m-%dT%H:%M:%SZ") == meta["published_at"]
    assert response.cache_control.public and response.cache_control.max_age == atom.CURRENT_MAX_AGE_S
    assert response.data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_a_country_with_nothing_published_has_a_valid_empty_feed(client):
    parsed = parse(client, "/feeds/countries/JP.atom")
    assert parsed.entries == []
    assert parsed.feed.title == "Japan: rules for travellers under treatment"


def test_an_empty_registry_s_feeds_are_dated_from_its_start_not_1970(app, client):
    with app.app_context():
        started = atom.registry_start()
    assert utcnow() - timedelta(days=1) < started <= utcnow()  # the test databases were made just now
    for path in ("/feeds/changes.atom", "/feeds/countries/JP.atom", "/feeds/sections/import-bans.atom",
                 "/feeds/substances/morphine.atom"):
        first, again = client.get(path), client.get(path)
        updated = etree.fromstring(first.data).findtext(f"{{{atom.ATOM}}}updated")
        assert updated == started.strftime("%Y-%m-%dT%H:%M:%SZ") != "1970-01-01T00:00:00Z", path
        assert first.last_modified.replace(tzinfo=None) == started
        assert again.data == first.data  # the same date at every request


def test_lower_case_countries_redirect_and_unknown_feeds_are_404(client):
    for path, target in (("/feeds/countries/fr.atom", "/feeds/countries/FR.atom"),
                         ("/feeds/countries/fr/archive/2.atom", "/feeds/countries/FR/archive/2.atom")):
        response = client.get(path)
        assert response.status_code == 301
        assert urlsplit(response.headers["Location"]).path == target
    for path in ("/feeds/countries/XX.atom", "/feeds/countries/xx.atom", "/feeds/countries/XX/archive/1.atom",
                 "/feeds/sections/rules.atom", "/feeds/substances/aspirin.atom", "/feeds/substances/METHADONE.atom",
                 "/feeds/substances/aspirin/archive/1.atom", "/feeds/changes/archive/0.atom", "/feeds/nothing.atom"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.mimetype == "text/plain" and answer.text.startswith("404 Not Found: "), path  # not an HTML page


def test_a_method_a_feed_does_not_answer_is_405_in_plain_text(client):
    answer = client.post("/feeds/changes.atom")
    assert answer.status_code == 405
    assert "GET" in answer.headers["Allow"]
    assert answer.mimetype == "text/plain"


def test_the_country_api_resource_links_the_country_feed(client):
    feed = client.get("/api/v1/countries/FR").json["links"]["feed"]
    assert urlsplit(feed).path == "/feeds/countries/FR.atom"
    assert client.get(urlsplit(feed).path).status_code == 200


# -- archives (RFC 5005 §4) ----------------------------------------------------------------------


def test_archive_documents_are_full_immutable_and_linked_both_ways(client, publisher, small_pages):
    for days in range(3 * PAGE + 2):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))

    current = parse(client, "/feeds/changes.atom")
    assert len(current.entries) == (3 * PAGE + 2) - 2 * PAGE  # every entry after archive document 2
    assert link(current, "prev-archive") == "/feeds/changes/archive/2.atom"

    second = parse(client, "/feeds/changes/archive/2.atom")
    assert [entry.id for entry in second.entries] == [f"tag:registry.example,2026:FR/requirements/{n}" for n in range(10, 5, -1)]
    assert link(second, "self") == "/feeds/changes/archive/2.atom"
    assert link(second, "current") == "/feeds/changes.atom"
    assert link(second, "prev-archive") == "/feeds/changes/archive/1.atom"
    assert link(second, "next-archive") == "/feeds/changes/archive/3.atom"
    assert etree.fromstring(client.get("/feeds/changes/archive/2.atom").data).find(FH + "archive") is not None
    assert etree.fromstring(client.get("/feeds/changes.atom").data).find(FH + "archive") is None
    assert link(parse(client, "/feeds/changes/archive/1.atom"), "prev-archive") is None
    assert len(parse(client, "/feeds/changes/archive/3.atom").entries) == PAGE
    response = client.get("/feeds/changes/archive/3.atom")
    assert response.cache_control.max_age == atom.ARCHIVE_MAX_AGE_S

    incomplete = client.get("/feeds/changes/archive/4.atom")
    assert incomplete.status_code == 404
    assert b"/feeds/changes.atom" in incomplete.data


@pytest.mark.parametrize("base_url", [None, "https://registry.example"], ids=["rendered-each-time", "stored"])
def test_archive_documents_stay_byte_identical_after_new_publications(app, client, publisher, small_pages, base_url):
    app.config["REGISTRY_BASE_URL"] = base_url
    for number in range(2 * PAGE):
        publisher.publish("FR", "import-bans", factories.import_bans(bans=[]) if number % 2 else factories.import_bans())
    kinds = ("changes", "countries/FR", "sections/import-bans", "substances/methylphenidate")
    archives = {kind: client.get(f"/feeds/{kind}/archive/1.atom").data for kind in kinds}

    meta = publisher.publish("FR", "import-bans", factories.import_bans())

    for kind, before in archives.items():
        assert client.get(f"/feeds/{kind}/archive/1.atom").data == before, kind
        assert parse(client, f"/feeds/{kind}.atom").entries[0].id == tag(meta), kind


def test_walking_prev_archive_from_each_kind_of_feed_recovers_exactly_what_the_changes_api_lists(client, publisher, small_pages):
    varied_history(publisher, 210)
    versions = every_change(client)
    assert len(versions) == 210

    selections = {
        "/feeds/changes.atom": versions,
        "/feeds/countries/FR.atom": [item for item in versions if item["meta"]["country"] == "FR"],
        "/feeds/sections/import-bans.atom": [item for item in versions if item["meta"]["section"] == "import-bans"],
        "/feeds/substances/methylphenidate.atom": touching(versions, "methylphenidate"),
        "/feeds/substances/lorazepam.atom": touching(versions, "lorazepam"),
    }
    for path, expected in selections.items():
        ids = walk(client, path)
        assert len(ids) == len(set(ids)), f"{path}: an entry appears twice"
        assert set(ids) == {tag(item["meta"]) for item in expected}, path
        assert len(expected) > 2 * PAGE, path


def test_the_subscription_document_never_holds_fewer_than_a_page_once_there_is_one(client, publisher, small_pages):
    sizes = []
    for days in range(3 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
        sizes.append(len(parse(client, "/feeds/changes.atom").entries))
    assert sizes == [1, 2, 3, 4, 5, 6, 7, 8, 9, 5, 6, 7, 8, 9, 5]


def test_archive_documents_are_rendered_once_and_shared_by_every_process(app, client, publisher, small_pages, database_url):
    app.config["REGISTRY_BASE_URL"] = "https://registry.example"
    for days in range(2 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
    first = client.get("/feeds/changes/archive/1.atom")
    with app.app_context():
        row = db.session.query(FeedArchive).filter_by(feed="changes", page=1).one()
        assert row.document.encode("utf-8") == first.data
        row.document = row.document.replace("FR/requirements/1<", "FR/requirements/1<!-- kept -->")
        db.session.commit()

    other_process = make_app(database_url, REGISTRY_FEED_PAGE_SIZE=PAGE, REGISTRY_BASE_URL="https://registry.example").test_client()

    assert b"<!-- kept -->" in other_process.get("/feeds/changes/archive/1.atom").data
    # The process that rendered it serves it from its own memory from then on (registry/feeds/polls.py).
    assert client.get("/feeds/changes/archive/1.atom").data == first.data


def test_a_kept_archive_document_is_not_served_for_another_history(app, client, publisher, small_pages):
    app.config["REGISTRY_BASE_URL"] = "https://registry.example"
    for days in range(2 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
    good = client.get("/feeds/changes/archive/1.atom").data
    with app.app_context():
        row = db.session.query(FeedArchive).filter_by(feed="changes", page=1).one()
        row.last_hash, row.document = "0" * 64, "not what the history holds"
        db.session.commit()

    assert client.get("/feeds/changes/archive/1.atom").data == good


def test_without_a_base_url_no_host_name_a_client_sends_fills_the_archive_store(app, client, publisher, small_pages):
    for days in range(2 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
    for number in range(3):
        assert client.get("/feeds/changes/archive/1.atom", base_url=f"http://host{number}.example").status_code == 200
    with app.app_context():
        assert db.session.query(FeedArchive).count() == 0


# -- cheap polling ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", FEEDS)
def test_a_replayed_etag_gets_304_with_an_empty_body_then_200_and_a_new_etag_after_a_publication(client, publisher, path):
    publisher.publish("FR", "import-bans", factories.import_bans())
    first = client.get(path)

    replay = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert replay.status_code == 304
    assert replay.data == b""
    assert replay.headers["ETag"] == first.headers["ETag"]

    publisher.publish("FR", "import-bans", factories.import_bans(bans=[]))
    after = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != first.headers["ETag"]


def publish_at(app, moment: datetime, days: int):
    """Publish FR requirements through the publishing service at a chosen moment."""
    with app.app_context():
        actor = publishing.Actor(accounts.add_account(f"officer{days}@fr.example", country="FR", secretariat=False, password=None))
        first = history.current("FR", "requirements") is None
        precondition = publishing.Precondition(if_none_match_any=True) if first else publishing.Precondition(if_match=frozenset(["*"]))
        publishing.publish(actor, "FR", "requirements", factories.requirements(max_supply_days=days), precondition, published_at=moment)


def test_if_modified_since_gets_304_until_something_newer_is_published(app, client):
    moment = utcnow()
    publish_at(app, moment, 30)
    since = client.get("/feeds/countries/FR.atom").headers["Last-Modified"]
    assert client.get("/feeds/countries/FR.atom", headers={"If-Modified-Since": since}).status_code == 304

    publish_at(app, moment + timedelta(seconds=1), 60)

    assert client.get("/feeds/countries/FR.atom", headers={"If-Modified-Since": since}).status_code == 200


def test_a_publication_in_the_same_second_is_not_hidden_by_if_modified_since(app, client):
    moment = utcnow()
    publish_at(app, moment, 30)
    since = client.get("/feeds/countries/FR.atom").headers["Last-Modified"]

    publish_at(app, moment, 60)

    again = client.get("/feeds/countries/FR.atom", headers={"If-Modified-Since": since})
    assert again.status_code == 200
    assert again.headers["Last-Modified"] == since
    assert "version 2" in feedparser.parse(again.data).entries[0].title


def test_an_archive_document_answers_304_to_its_etag(client, publisher, small_pages):
    for days in range(2 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
    for _ in range(2):  # rendered, then kept
        etag = client.get("/feeds/changes/archive/1.atom").headers["ETag"]
        replay = client.get("/feeds/changes/archive/1.atom", headers={"If-None-Match": etag})
        assert replay.status_code == 304 and replay.data == b""


# -- identity and XML safety -------------------------------------------------------------------


def test_served_under_another_host_name_every_entry_keeps_its_id(client, publisher, small_pages):
    for days in range(2 * PAGE):
        publisher.publish("FR", "requirements", factories.requirements(max_supply_days=days + 1))
    for path in (*FEEDS, "/feeds/changes/archive/1.atom"):
        here = parse(client, path, base_url="http://registry.example")
        there = parse(client, path, base_url="https://mirror.example.org")
        assert [entry.id for entry in here.entries] == [entry.id for entry in there.entries], path
        assert here.feed.id == there.feed.id
        assert link(there, "self") == link(here, "self")
        assert all(item.href.startswith("https://mirror.example.org/") for entry in there.entries for item in entry.links)


def test_registry_base_url_decides_every_link_whatever_the_host(app, client, publisher):
    app.config["REGISTRY_BASE_URL"] = "https://registry.example"
    publisher.publish("FR", "requirements", factories.requirements())
    document = client.get("/feeds/changes.atom", base_url="http://internal:8000").data
    hrefs = etree.fromstring(document).xpath("//@href")
    assert hrefs and all(href.startswith("https://registry.example/") for href in hrefs)


def test_text_xml_forbids_is_replaced_so_every_reader_can_still_parse_the_feed(app, client):
    """Validation refuses control characters; the feeds stay valid even for a history restored from elsewhere."""
    from registry import chain

    fields = {"country": "FR", "section": "import-bans", "version": 1, "seq": 1, "published_at": "2026-03-01T09:00:00Z",
              "withdrawn": False, "document": factories.import_bans(), "prev_hash": chain.GENESIS_HASH}
    meta = {**{key: fields[key] for key in ("country", "section", "version", "seq", "published_at", "withdrawn", "prev_hash")},
            "published_by": "Agence\x0b nationale\x1f", "changes": ["Ban added\x1b: methylphenidate\ufffe."],
            "hash": chain.version_hash(fields)}
    with app.app_context():
        publishing.restore([{"meta": meta, "document": fields["document"]}])

    for path in ("/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/substances/methylphenidate.atom"):
        entry = parse(client, path).entries[0]
        assert entry.author == "Agence\ufffd nationale\ufffd"
        assert "Ban added\ufffd: methylphenidate\ufffd." in entry.summary


def test_xml_text_keeps_every_character_xml_allows():
    allowed = "tab\tline\nreturn\r é 中文 \U0001f600 \ue000 \ufffd"
    assert atom.xml_text(allowed) == allowed
    assert atom.xml_text("\x00\x08\x0b\x0c\x1f\ud800\udfff\ufffe\uffff") == "\ufffd" * 9


def test_the_subscription_document_reaches_every_full_archive_document_but_the_newest():
    assert atom.archived_pages(0, 50) == 0 and atom.archived_pages(99, 50) == 0
    assert atom.archived_pages(100, 50) == 1 and atom.archived_pages(30_000, 50) == 599
