"""How every surface speaks HTTP: security headers, absolute URLs, the section converter,
upper-case country codes, JSON bodies, and the one place that turns refusals and errors
into answers (JSON for the API, HTML for pages)."""
import json
from http import HTTPStatus

from flask import current_app, jsonify, make_response, render_template, request, url_for
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import AnyConverter

from .db import db
from .documents import SECTIONS
from .i18n import error_text
from .publishing import PublishingError
from . import reference

HEADERS = {
    # Every script, style, font and image comes from the registry itself.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


# -- URLs --------------------------------------------------------------------------------------


def base_url() -> str:
    """REGISTRY_BASE_URL when set, else the URL the request came in on."""
    return current_app.config.get("REGISTRY_BASE_URL") or request.host_url.rstrip("/")


def absolute(path: str) -> str:
    """An absolute URL for a path of this registry."""
    return base_url() + path


class SectionConverter(AnyConverter):
    """`<section:section>` in a route: one of the three sections of a notification."""

    def __init__(self, url_map):
        super().__init__(url_map, *SECTIONS)


def upper_case_location(code: str) -> str | None:
    """Where a URL with a lower-case country code moves to (docs/api.md, "Identifiers"): the same
    URL with the code in upper case, query string kept; None when there is nothing to redirect."""
    if code == code.upper() or reference.country(code.upper()) is None:
        return None
    location = url_for(request.endpoint, **{**request.view_args, "country": code.upper()})
    query = request.query_string.decode("latin-1")
    return f"{location}?{query}" if query else location


# -- JSON bodies ---------------------------------------------------------------------------------


class UnreadableBody(ValueError):
    """A request body that is not a JSON document in UTF-8."""


def json_body():
    """The request body as JSON; RequestEntityTooLarge when it is over the limit, UnreadableBody
    when it is not JSON (NaN and Infinity are not JSON numbers)."""
    return parse_json(request.get_data(cache=False))


def parse_json(raw: bytes | str):
    """A JSON document from bytes (UTF-8) or text; UnreadableBody when it is not one."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UnreadableBody("The body is not a JSON document (UTF-8).") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


# -- errors ----------------------------------------------------------------------------------------


def wants_json() -> bool:
    """The API and machine-readable surfaces answer errors in JSON."""
    return request.path.startswith(("/api/", "/exports/", "/schemas/", "/healthz")) and not request.path.endswith("/")


def error_response(status: int, message: str, errors: dict | None = None, headers=None):
    if wants_json():
        body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
    else:
        response = make_response(_error_page(status, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error_page(status: int, message: str) -> str:
    """The error page in the visitor's language; a bare page when even that cannot be built."""
    try:
        title, text = error_text(status, message)
        return render_template("error.html", status=status, title=title, message=text)
    except Exception:  # the database or a template may be what failed: still answer
        db.session.rollback()
        phrase = HTTPStatus(status).phrase
        return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {escape(phrase)}</title>"
                f"<h1>{status} {escape(phrase)}</h1><p>{escape(message)}</p><p><a href=\"/\">The registry</a></p></html>")


def register(app) -> None:
    """The section converter, security headers on every response (errors included), and the error answers."""
    app.url_map.converters["section"] = SectionConverter

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.errorhandler(PublishingError)
    def refused(error: PublishingError):
        return error_response(error.status, error.message, error.errors)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        headers = {}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 422 and hasattr(error, "data"):  # query arguments refused by webargs
            messages = error.data.get("messages", {})
            flat = {f"{location}.{name}": problems for location, fields in messages.items() for name, problems in fields.items()}
            return error_response(422, "The query arguments are not valid.", flat)
        return error_response(error.code or 500, error.description or HTTPStatus(error.code).phrase, headers=headers)

    @app.errorhandler(DBAPIError)
    def database_unavailable(error: DBAPIError):
        # A lost connection (a restarted or overloaded database) rolls the whole
        # transaction back; the client may simply try again.
        db.session.rollback()
        if not error.connection_invalidated and not isinstance(error, OperationalError):
            return unexpected(error)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, error.orig)
        return error_response(503, "The database is unavailable for a moment; nothing was stored. Please try again.",
                              headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(500, InternalServerError.description)
