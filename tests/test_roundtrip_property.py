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

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry import accounts
from registry.documents import SECTIONS, validate_document
from registry.db import dispose_engines

from .helpers.apps import make_app
from .helpers.exports import assert_same_export
from .helpers.strategies import COUNTRIES, DOCUMENTS, lines

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
