"""Any valid history survives publish → read → export → restore into an empty database → export, unchanged.

Hypothesis builds valid documents from the registry's own vocabularies (document
kinds, thresholds, schedule classes, substances, bannable substances, countries,
languages) with text in many scripts, publishes them through the API as an
authority and as the secretariat (several countries, sections and versions, a
withdrawal, a confirmation), exports the registry, restores the bundle into an
empty database, and exports again.
"""
import json
from contextlib import contextmanager
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import accounts, reference
from registry.documents import (AUTHORITY_ROLES, BANNABLE_CLASSES, DAYS_MAX, DOCUMENT_KINDS, LINE_MAX, MG_MAX, MG_MIN,
                                PHONE, SECTIONS, THRESHOLDS, TRANSIT, TRAVELLERS_ALLOWED, bad_characters, validate_document)
from registry.db import dispose_engines

from .helpers.apps import make_app
from .helpers.exports import assert_same_export

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
publication = st.tuples(st.sampled_from(COUNTRIES), st.sampled_from(SECTIONS)).flatmap(
    lambda slot: st.tuples(st.just(slot), DOCUMENTS[slot[1]], st.booleans()))


@st.composite
def histories(draw):
    """Publications (slot, document, by the secretariat?), then the slot to withdraw and the slot to confirm."""
    published = draw(st.lists(publication, min_size=3, max_size=8))
    slots = sorted({slot for slot, _, _ in published})
    return published, draw(st.sampled_from(slots)), draw(st.sampled_from(slots)), draw(lines(200))


@pytest.fixture
def new_database(backend, tmp_path, request):
    """A factory of empty databases on the suite's database system (a second PostgreSQL database, or another SQLite file)."""
    made = iter(range(10_000))
    if backend == "postgresql":
        return request.getfixturevalue("postgres").new
    return lambda: f"sqlite:///{tmp_path / f'roundtrip-{next(made)}.sqlite'}"


@contextmanager
def registry_on(url: str):
    app = make_app(url)
    try:
        yield app
    finally:
        dispose_engines(app)


def publish(client, headers: dict, slot: tuple[str, str], document: dict):
    country, section = slot
    current = client.get(f"/api/v1/countries/{country}/{section}")
    condition = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {"If-None-Match": "*"}
    response = client.put(f"/api/v1/countries/{country}/{section}", data=json.dumps(document, ensure_ascii=False).encode("utf-8"),
                          content_type="application/json", headers={**headers, **condition})
    assert response.status_code in (200, 201), (document, response.json)
    return response.json["meta"]


def every_version(client) -> list[dict]:
    return client.get("/api/v1/changes?limit=1000").json["changes"]


def cli(app, *args) -> None:
    done = app.test_cli_runner().invoke(args=[str(arg) for arg in args])
    assert done.exit_code == 0, done.output


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=histories())
def test_any_valid_history_survives_export_and_restore_into_an_empty_database_unchanged(new_database, tmp_path_factory, history):
    published, withdrawn, confirmed, authority_name = history
    folder = tmp_path_factory.mktemp("bundles")
    expected = []  # (country, section, version, document) as published
    with registry_on(new_database()) as source:
        with source.app_context():
            french = accounts.add_account("officer@fr.example", country="FR", secretariat=False, password=None, authority_name=authority_name)
            secretariat = accounts.add_account("secretariat@registry.example", country=None, secretariat=True, password=None)
            tokens = {who: {"Authorization": f"Bearer {accounts.add_token(account, 'roundtrip')[1]}"}
                      for who, account in (("FR", french), ("secretariat", secretariat))}
        client = source.test_client()
        for slot, document, by_secretariat in published:
            assert validate_document(slot[1], document) == {}
            who = "FR" if slot[0] == "FR" and not by_secretariat else "secretariat"
            meta = publish(client, tokens[who], slot, document)
            expected.append((meta["country"], meta["section"], meta["version"], document))
        withdrawal = client.delete(f"/api/v1/countries/{withdrawn[0]}/{withdrawn[1]}", headers={**tokens["secretariat"], "If-Match": "*"})
        assert withdrawal.status_code == 200
        expected.append((*withdrawn, withdrawal.json["meta"]["version"], None))
        confirmation = client.post(f"/api/v1/countries/{confirmed[0]}/{confirmed[1]}/confirm", headers=tokens["secretariat"])
        assert confirmation.status_code == (409 if confirmed == withdrawn else 200)
        original = every_version(client)
        states = {country: client.get(f"/api/v1/countries/{country}").json for country in COUNTRIES}
        cli(source, "export", folder / "first")

    with registry_on(new_database()) as restored:
        cli(restored, "restore", folder / "first")
        cli(restored, "verify")
        cli(restored, "export", folder / "second")
        client = restored.test_client()
        for country, section, number, document in expected:
            read = client.get(f"/api/v1/countries/{country}/{section}/versions/{number}").json
            assert read["document"] == document
        assert every_version(client) == original
        assert {country: client.get(f"/api/v1/countries/{country}").json for country in COUNTRIES} == states
    assert_same_export(folder / "first", folder / "second")
