"""The API's reference page (/api/v1/reference) in a real browser: rendered from the registry's own files, offline."""
from urllib.parse import urlsplit

import pytest

from ..helpers.browser import screenshot, served

@pytest.mark.browser
def test_the_reference_page_renders_every_operation_from_the_registry_alone(page, app):
    requested, refused = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    with served(app) as url:
        page.goto(url + "/")
        page.get_by_role("contentinfo").get_by_role("link", name="JSON API").click()
        page.wait_for_url(url + "/api/v1/reference")
        page.locator(".opblock").first.wait_for()

        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert "/api/v1/check" in paths
        assert "/api/v1/countries/{country}/{section}" in paths
        assert page.locator(".opblock").count() >= 12
        assert "Registry of rules for travellers under treatment" in page.locator(".info .title").inner_text()
        screenshot(page, "api-reference")

    host = urlsplit(url).netloc
    assert [address for address in requested if urlsplit(address).netloc != host] == []
    assert refused == []  # a script or style blocked by the Content-Security-Policy would be reported here


def test_only_the_files_the_page_uses_are_served_from_the_bundle(client):
    for name in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert client.get(f"/api/v1/reference/assets/{name}").status_code == 200
    for name in ("index.html", "swagger-initializer.js", "..%2F__init__.py"):  # its demonstration page loads another host's API
        assert client.get(f"/api/v1/reference/assets/{name}").status_code == 404
