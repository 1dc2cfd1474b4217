"""GET /api/v1/products and /api/v1/products/{key}: the medicinal products of the reference data."""
from registry import reference


def test_every_product_is_listed_by_key_as_the_reference_data_gives_it(client):
    answer = client.get("/api/v1/products")

    assert answer.status_code == 200
    assert answer.json["products"] == [item.as_json() for item in reference.products().values()]


def test_a_product_is_read_by_its_key(client):
    body = client.get("/api/v1/products/suboxone-8-mg-2-mg-sublingual-tablet").json

    assert body["label"] == "Suboxone 8 mg/2 mg" and body["form"] == "sublingual" and body["unit"] == "tablet"
    buprenorphine, naloxone = body["ingredients"]
    assert (buprenorphine["substance"], buprenorphine["control"], buprenorphine["mg_per_unit"]) == ("buprenorphine", "international", 8)
    assert (naloxone["inn"], naloxone["substance"], naloxone["control"]) == ("naloxone", None, None)


def test_a_nationally_controlled_ingredient_says_so(client):
    tramal = client.get("/api/v1/products/tramal-50-mg-capsule").json
    assert [(item["substance"], item["control"]) for item in tramal["ingredients"]] == [("tramadol", "national")]


def test_products_are_filtered_by_the_search_best_first(client):
    found = client.get("/api/v1/products", query_string={"q": "Durogesik"}).json["products"]
    assert found and found[0]["key"].startswith("durogesic-")
    assert all(item["key"] in reference.products() for item in found)
    assert client.get("/api/v1/products?q=qqqqqqq").json == {"products": []}


def test_an_absurd_filter_is_422(client):
    for query in ("q=", "q=%20", "q=" + "x" * 101):
        answer = client.get(f"/api/v1/products?{query}")
        assert answer.status_code == 422 and "query.q" in answer.json["errors"], query


def test_an_unknown_product_is_a_json_404_as_the_other_api_404s(client):
    answer = client.get("/api/v1/products/not-a-product")

    assert answer.status_code == 404 and answer.mimetype == "application/json"
    assert answer.json["code"] == 404 and "not-a-product" in answer.json["message"]


def test_the_description_documents_the_products_with_their_schema(client):
    description = client.get("/api/v1/openapi.json").json
    responses = description["paths"]["/api/v1/products/{key}"]["get"]["responses"]
    assert {"200", "404"} <= set(responses)
    named = responses["200"]["content"]["application/json"]["schema"]["$ref"].removeprefix("#/components/schemas/")
    product = description["components"]["schemas"][named]
    assert set(product["required"]) == set(reference.product("ritalin-10-mg-tablet").as_json())
    assert client.get("/api/v1/").json["links"]["products"] == "http://localhost/api/v1/products"
