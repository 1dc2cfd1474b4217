"""/api/v1/reference: the API's reference, rendered by Swagger UI from /api/v1/openapi.json.

Swagger UI's files come from the openapi-ui-bundles package (Swagger UI 5, which reads
OpenAPI 3.1) and are served from here: the page needs no other host, and its start-up
script is a file (static/api-reference.js), not inline, so that the registry's
Content-Security-Policy (registry/http.py) holds.
"""
from flask import Blueprint, render_template, send_from_directory, url_for
from openapi_ui_bundles import swagger_ui
from werkzeug.exceptions import NotFound

bp = Blueprint("api_reference", __name__, url_prefix="/api/v1/reference")

# Only what the page uses: the package also holds Swagger UI's demonstration page.
ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js")
ASSET_MAX_AGE_S = 24 * 3600  # 1 day; the files change only with the package


@bp.get("")
def page():
    """The reference page: every operation, its parameters, bodies and answers."""
    return render_template("api/reference.html", spec_url=url_for("api-docs.openapi_json"))


@bp.get("/assets/<name>")
def asset(name: str):
    """One of Swagger UI's files."""
    if name not in ASSETS:
        raise NotFound(f"There is no file {name!r} here.")
    return send_from_directory(swagger_ui.static_path, name, max_age=ASSET_MAX_AGE_S)
