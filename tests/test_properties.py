"""Properties over generated input: nothing invalid is stored, nothing valid is altered."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.documents import validate_document

from .helpers import factories

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
sections = st.sampled_from(["requirements", "authorities", "import-bans"])


def mutate(document, data):
    """Replace one leaf or key of a valid document with arbitrary JSON."""
    path, node = [], document
    while isinstance(node, (dict, list)) and node and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
        path.append(key)
        node = node[key]
    target = document
    for key in path[:-1]:
        target = target[key]
    if not path:
        document[data.draw(st.text(min_size=1, max_size=12))] = data.draw(json_values)
    else:
        target[path[-1]] = data.draw(json_values)
    return document


def count(client) -> int:
    return len(client.get("/api/v1/changes?limit=1000").json["changes"])


@SETTINGS
@given(section=sections, data=st.data())
def test_an_altered_document_is_stored_only_when_valid_and_never_fails_with_5xx(client, authority, section, data):
    headers = authority(secretariat=True)
    document = mutate(factories.DOCUMENTS[section](), data)
    country = data.draw(st.sampled_from(["FR", "DE", "JP", "BR", "ZA"]))
    before = count(client)
    current = client.get(f"/api/v1/countries/{country}/{section}")
    condition = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {"If-None-Match": "*"}
    response = client.put(f"/api/v1/countries/{country}/{section}", data=json.dumps(document), content_type="application/json",
                          headers={**headers, **condition})
    assert response.status_code < 500
    if validate_document(section, document):
        assert response.status_code == 422
        assert count(client) == before
    else:
        assert response.status_code in (200, 201)
        assert count(client) == before + 1


texts = st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"), min_size=1, max_size=200).filter(str.strip)


@SETTINGS
@given(notes=st.dictionaries(st.sampled_from(["en", "fr", "zh", "ar", "ru", "es"]), texts, min_size=1, max_size=6),
       days=st.integers(1, 3650), amount=st.integers(1, 10_000_000))
def test_a_valid_document_reads_back_exactly_as_published(client, authority, notes, days, amount):
    headers = authority("FR")
    document = factories.requirements(notes=notes, max_supply_days=days)
    document["rules"][2]["threshold_mg"] = amount
    current = client.get("/api/v1/countries/FR/requirements")
    condition = {"If-Match": current.headers["ETag"]} if current.status_code == 200 else {"If-None-Match": "*"}
    published = client.put("/api/v1/countries/FR/requirements", json=document, headers={**headers, **condition})
    assert published.status_code in (200, 201), published.json
    assert client.get("/api/v1/countries/FR/requirements").json["document"] == document
