"""The API's reference page (/api/v1/reference): drawn on the server from the OpenAPI description, complete,
translated around the description's own English, accessible in a real browser, and served by the registry alone."""
from urllib.parse import urlsplit

import pytest
from lxml import html

from registry.api import reference

from ..helpers.browser import NARROWEST, WAIT_MS, screenshot, served

PAGE = "/api/v1/reference"


def parsed(client, path: str = PAGE):
    answer = client.get(path)
    assert answer.status_code == 200
    return html.fromstring(answer.data)


def row(table, name: str):
    """The row of a fields table whose first cell names `name`."""
    [found] = [tr for tr in table.xpath(".//tbody/tr") if tr.xpath("string(th/code[1])") == name]
    return found


def test_every_operation_and_schema_of_the_description_is_on_the_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    page = parsed(client)
    headings = {" ".join(heading.text_content().split()) for heading in page.xpath("//section[@class='operation']/h3")}
    expected = {f"{method.upper()} {path}" for path, item in spec["paths"].items()
                for method in item if method in reference.METHODS}
    assert len(expected) >= 12 and headings == expected
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in reference.METHODS:
                assert operation["summary"] in page.text_content()
    schemas = {section.get("id") for section in page.xpath("//section[@class='schema']")}
    assert schemas == {f"schema-{name}" for name in spec["components"]["schemas"]}
    # Every link to a schema leads somewhere on the page.
    anchors = {element.get("id") for element in page.xpath("//*[@id]")}
    assert {link.get("href")[1:] for link in page.xpath("//a[starts-with(@href, '#')]")} <= anchors


def test_the_check_shows_its_request_fields_with_types_limits_and_what_is_required(client):
    request = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["CheckRequest"]
    page = parsed(client)
    check = page.xpath("//section[@id='op-post-api-v1-check']")[0]
    assert not check.xpath(".//p[@class='token-needed']")  # the check needs no token
    assert check.xpath(".//a[@href='#schema-CheckRequest']"), "the request body links to its schema"
    table = page.xpath("//section[@id='schema-CheckRequest']//table")[0]
    item = request["properties"]["items"]["items"]
    written = [(name, schema, request) for name, schema in request["properties"].items()]
    written += [(f"items[].{name}", schema, item) for name, schema in item["properties"].items()]  # nested, dotted
    for name, schema, parent in written:
        shown = row(table, name)
        assert bool(shown.xpath(".//span[@class='required']")) == (name.rsplit(".", 1)[-1] in parent.get("required", [])), name
        limits = " ".join(shown.xpath("string(td[2])").split())
        for keyword in ("minimum", "maximum", "maxItems"):
            if keyword in schema:
                assert f"{keyword} {schema[keyword]}" in limits, name
    assert row(table, "destination").xpath(".//a[@href='#schema-CountryCode']")
    assert " ".join(row(table, "days").xpath("string(td[1])").split()) == "integer or null"
    form = " ".join(row(table, "items[].form").text_content().split())
    assert '"tablet"' in form and "null" in form


def test_a_write_says_it_needs_a_token_and_lists_its_parameters_and_answers(client):
    page = parsed(client)
    put = page.xpath("//section[@id='op-put-api-v1-countries-country-section']")[0]
    assert put.xpath(".//p[@class='token-needed']")
    parameters = put.xpath(".//table[contains(@class, 'fields')]")[0]
    assert row(parameters, "country").xpath("string(td[1])") == "path"  # declared once for the path, shown here
    assert "enum" in row(parameters, "section").text_content()
    statuses = put.xpath(".//table[contains(@class, 'answers')]/tbody/tr/th/code/text()")
    assert {"200", "201", "412", "422", "428"} <= set(statuses)
    for schema in ("Requirements", "Authorities", "ImportBans"):  # the body is one of the three documents
        assert put.xpath(f".//a[@href='#schema-{schema}']")


def test_the_page_is_in_the_readers_language_and_marks_the_descriptions_english(client):
    client.get("/?lang=zh")
    page = parsed(client)
    assert page.get("lang").startswith("zh")
    assert page.xpath("//p[@class='notice']")  # says the descriptions are in English
    summary = page.xpath("//section[@id='op-post-api-v1-check']/p[1]")[0]
    assert summary.get("lang") == "en"
    client.get("/?lang=en")
    assert not parsed(client).xpath("//p[@class='notice']")


def test_descriptions_written_once_and_referred_to_are_followed():
    spec = {
        "info": {"title": "T", "version": "1"},
        "paths": {"/things/{id}": {
            "parameters": [{"$ref": "#/components/parameters/id"}],
            "get": {"summary": "A thing.", "parameters": [{"in": "path", "name": "id", "required": True,
                                                          "schema": {"type": "integer"}}],
                    "responses": {"200": {"$ref": "#/components/responses/Thing"}}},
        }},
        "components": {
            "parameters": {"id": {"in": "path", "name": "id", "required": True, "schema": {"type": "string"}}},
            "responses": {"Thing": {"description": "The thing.", "headers": {"ETag": {"schema": {"type": "string"}}},
                                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}},
            "schemas": {"Thing": {"type": "object", "properties": {
                "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}, "maxItems": 3},
                "names": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 9}},
            }}, "Tag": {"type": "string", "enum": ["a", "b"]}},
        },
    }
    described = reference.read(spec)
    [operation] = described.operations
    [parameter] = operation.parameters
    assert parameter.kinds == [reference.Kind("integer")]  # the operation's own parameter wins over the path's
    [answer] = operation.answers
    assert answer.description == "The thing." and [header.name for header in answer.headers] == ["ETag"]
    assert answer.content.kinds == [reference.Kind("Thing", schema=True)]
    thing = described.schemas[0]
    tags, names, other_keys = thing.fields
    assert tags.kinds == [reference.Kind("Tag", schema=True, array=True)] and tags.limits == [reference.Limit("maxItems", "3")]
    assert other_keys.name == "names." and other_keys.any_key and other_keys.limits == [reference.Limit("maxLength", "9")]


@pytest.mark.browser
def test_the_footer_leads_to_the_reference_which_passes_axe_core_as_read_and_after_opening_everything(browser, app):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with served(app) as base:
        page.goto(base + "/")
        page.get_by_role("contentinfo").get_by_role("link", name="JSON API").click()
        page.wait_for_url(base + PAGE)
        assert page.get_by_role("heading", level=1).inner_text() == "JSON API reference"

        def violations():
            return [f"{rule['id']}: {rule['help']} ({len(rule['nodes'])})" for rule in axe.run(page).response["violations"]]

        assert violations() == []
        # As a reader uses it: follow the contents to an operation, then to its body's schema, and open every
        # schema's JSON.
        page.get_by_role("navigation", name="Operations").get_by_role("link", name="/api/v1/check").click()
        page.wait_for_url(base + PAGE + "#op-post-api-v1-check")
        page.locator("#op-post-api-v1-check").get_by_role("link", name="CheckRequest").first.click()
        assert page.locator("#schema-CheckRequest").is_visible()
        for summary in page.locator("details > summary").all():
            summary.click()
        assert page.locator("details[open]").count() == page.locator("details").count() > 0
        assert violations() == []
        screenshot(page, "api-reference")
    host = urlsplit(base).netloc
    assert [address for address in requested if urlsplit(address).netloc != host] == []
    assert errors == []  # a script or style the Content-Security-Policy blocked would be reported here
    context.close()


@pytest.mark.browser
def test_the_reference_with_every_schema_open_fits_a_320_pixel_phone(browser, app):
    context = browser.new_context(viewport=NARROWEST, is_mobile=True)
    phone = context.new_page()
    with served(app) as base:
        phone.goto(base + PAGE)
        phone.evaluate("document.querySelectorAll('details').forEach(details => details.open = true)")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > NARROWEST["width"]:
            screenshot(phone, "overflow-api-reference-open")
        assert width <= NARROWEST["width"]
    context.close()
