"""The OpenAPI description (/api/v1/openapi.json): valid, and one with the JSON Schemas served in /schemas/."""

import jsonschema
import pytest
from openapi_spec_validator import validate

from registry.json_schemas import COMPONENTS

from ..helpers import factories
from ..helpers.api import put
from ..helpers.exports import SCHEMAS

IGNORED = ("$schema", "$id", "$defs")


def inlined(schema, root: dict, prefix: str):
    """The schema with every reference into root (`prefix` + name) replaced by what it names."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            assert schema["$ref"].startswith(prefix), schema["$ref"]
            named = root[schema["$ref"].removeprefix(prefix)]
            return inlined({**named, **{key: value for key, value in schema.items() if key != "$ref"}}, root, prefix)
        return {key: inlined(value, root, prefix) for key, value in schema.items() if key not in IGNORED}
    if isinstance(schema, list):
        return [inlined(item, root, prefix) for item in schema]
    return schema


@pytest.fixture
def description(client):
    return client.get("/api/v1/openapi.json").json


def test_the_description_is_valid_openapi(description):
    validate(description)  # raises on the first error: none


@pytest.mark.parametrize("name,component", COMPONENTS.items())
def test_every_request_component_is_its_served_json_schema(client, description, name, component):
    served = client.get(f"/schemas/{name}.schema.json").json
    components = description["components"]["schemas"]
    assert inlined(components[component], components, "#/components/schemas/") == inlined(served, served["$defs"], "#/$defs/")


def test_the_requirements_component_has_the_limits_of_the_validation(description):
    properties = description["components"]["schemas"]["Requirements"]["properties"]
    assert properties["max_supply_days"] == {"type": "integer", "minimum": 1, "maximum": 3650}
    assert properties["rules"]["maxItems"] == 200
    assert properties["effective_from"] == {"$ref": "#/components/schemas/Date"}
    assert description["components"]["schemas"]["Date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def test_a_check_naming_no_form_and_no_preparation_class_is_allowed_by_the_description_and_answered(client, description):
    components = description["components"]["schemas"]
    request = {"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 30, "form": None, "preparation_class": None}]}
    jsonschema.validate(request, inlined(components["CheckRequest"], components, "#/components/schemas/"))
    item = components["CheckRequest"]["properties"]["items"]["items"]["properties"]
    assert None in item["form"]["enum"] and None in item["preparation_class"]["enum"]
    assert client.post("/api/v1/check", json=request).status_code == 200


def test_a_withdrawal_requires_if_match_in_the_description_as_the_server_does(client, authority, description):
    headers = authority("FR")
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    [if_match] = [parameter for parameter in description["paths"]["/api/v1/countries/{country}/{section}"]["delete"]["parameters"]
                  if parameter["name"] == "If-Match"]
    assert if_match["required"] is True
    assert client.delete("/api/v1/countries/FR/requirements", headers=headers).status_code == 428


def test_the_api_index_links_everything_a_client_starts_from(client):
    for path in ("/api/v1/", "/api/v1"):
        index = client.get(path)
        assert index.status_code == 200 and index.mimetype == "application/json"
    links = index.json["links"]
    for name in ("countries", "substances", "changes", "openapi", "reference"):
        assert client.get(links[name].removeprefix("http://localhost")).status_code == 200, name
    assert links["check"].endswith("/api/v1/check")
    for name, url in index.json["schemas"].items():
        assert client.get(url.removeprefix("http://localhost")).status_code == 200, name
    assert sorted(index.json["schemas"]) == sorted(path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json"))


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/v1/nothing", 404), ("GET", "/api/nothing", 404), ("DELETE", "/api/v1/countries", 405),
    ("GET", "/api/v1/countries/FR/requirements/versions/0/more", 404),
])
def test_an_unknown_api_url_or_method_is_answered_in_json(client, method, path, status):
    answer = client.open(path, method=method)
    assert answer.status_code == status
    assert answer.mimetype == "application/json"
    assert answer.json["code"] == status
