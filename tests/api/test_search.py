"""GET /api/v1/search: countries, substances and products by any name, ranked, with "did you mean"."""
import json
import urllib.parse
import urllib.request

import pytest

from ..helpers.browser import served


def test_a_brand_name_misspelt_finds_the_product_and_offers_it(client):
    answer = client.get("/api/v1/search", query_string={"q": "Concertta"})

    assert answer.status_code == 200
    first = answer.json["hits"][0]
    assert (first["kind"], first["match"], first["matched"]) == ("product", "fuzzy", "Concerta")
    assert first["url"].endswith(f"/api/v1/products/{first['key']}")
    assert client.get(first["url"].removeprefix("http://localhost")).json["key"] == first["key"]
    assert answer.json["did_you_mean"][0]["key"] == first["key"]


def test_names_in_other_languages_find_countries_and_substances(client):
    for typed, kind, key in (("Allemagne", "country", "DE"), ("Schweiz", "country", "CH"),
                             ("Méthylphénidate", "substance", "methylphenidate"), ("地西洋", "substance", "diazepam"),
                             ("Meproamate", "substance", "meprobamate"), ("metylphenidate", "substance", "methylphenidate")):
        first = client.get("/api/v1/search", query_string={"q": typed}).json["hits"][0]
        assert (first["kind"], first["key"]) == (kind, key), typed


def test_an_exact_name_comes_first_and_needs_no_did_you_mean(client):
    body = client.get("/api/v1/search?q=Germany&limit=3").json

    assert body["hits"][0] | {"url": None} == {"kind": "country", "key": "DE", "name": "Germany", "matched": "Germany",
                                               "match": "exact", "score": 100, "url": None}
    assert body["did_you_mean"] == [] and len(body["hits"]) <= 3


def test_names_are_given_in_the_language_asked(client):
    first = client.get("/api/v1/search", query_string={"q": "Schweiz", "lang": "zh"}).json["hits"][0]
    assert (first["name"], first["matched"]) == ("瑞士", "Schweiz")


def test_hits_rank_by_score_and_each_item_comes_once(client):
    hits = client.get("/api/v1/search?q=fentanil&limit=50").json["hits"]
    assert hits[0]["key"] == "fentanyl"
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    assert len({(hit["kind"], hit["key"]) for hit in hits}) == len(hits)


def test_nothing_found_is_an_empty_answer_not_an_error(client):
    answer = client.get("/api/v1/search?q=qqqqqqq")
    assert answer.status_code == 200 and answer.json["hits"] == [] and answer.json["did_you_mean"] == []


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20", "q=%21%3F%2E", "q=" + "a" * 101, "q=x&limit=0", "q=x&limit=51",
                                   "q=x&lang=de", "q=x&limit=ten"])
def test_an_empty_or_absurd_query_is_422_naming_the_argument(client, query):
    answer = client.get(f"/api/v1/search?{query}")

    assert answer.status_code == 422 and answer.mimetype == "application/json"
    assert answer.json["code"] == 422 and all(path.startswith("query.") for path in answer.json["errors"])


def test_the_description_documents_the_search(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/search"]["get"]
    assert {parameter["name"] for parameter in operation["parameters"]} == {"q", "lang", "limit"}
    assert {"200", "422"} <= set(operation["responses"])


def test_the_index_links_the_search(client):
    assert client.get("/api/v1/").json["links"]["search"] == "http://localhost/api/v1/search"


def test_the_search_answers_over_http_as_in_process(app, client):
    with served(app) as base:
        with urllib.request.urlopen(f"{base}/api/v1/search?{urllib.parse.urlencode({'q': '地西洋', 'lang': 'zh'})}") as answer:
            body = json.load(answer)
            assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    expected = client.get("/api/v1/search", query_string={"q": "地西洋", "lang": "zh"}).json
    assert [(hit["kind"], hit["key"], hit["score"]) for hit in body["hits"]] == [(hit["kind"], hit["key"], hit["score"]) for hit in expected["hits"]]
    assert body["hits"][0]["key"] == "diazepam" and body["hits"][0]["name"] == "地西泮"
