"""How every surface speaks HTTP: security headers, CORS on public reads, HSTS, absolute URLs,
the section converter, upper-case country codes, JSON bodies, and the one place that turns
refusals and errors into answers (JSON for the API, HTML for pages)."""
import json
from http import HTTPStatus

from flask import current_app, jsonify, make_response, render_template, request, url_for
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError
from werkzeug.routing import AnyConverter

from . import reference
from .db import db
from .documents import SECTIONS, bounded_problems
from .i18n import error_text
from .publishing import PublishingError

HEADERS = {
    # Every script, style, font and image comes from the registry itself.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

# -- CORS and HSTS -------------------------------------------------------------------------------

# Public reads may be read by any web page, so that browser apps of other countries can use them;
# writes, the check, the pages and the console never say so. Feed polls answered before Flask
# send the same (registry/feeds/polls.py). See docs/deployment.md, "Limits, CORS, hosts and proxies".
PUBLIC_READS = ("/api/", "/feeds/", "/exports/", "/schemas/", "/healthz", "/.well-known/")
READ_METHODS = ("GET", "HEAD")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Link, Retry-After",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Range",
    "Access-Control-Max-Age": "86400",
}
# Sent when the registry knows it is served over HTTPS (REGISTRY_SECURE_COOKIES=1): browsers then
# refuse plain HTTP to it for a year.
HSTS = ("Strict-Transport-Security", "max-age=31536000")


def public_read(path: str, method: str) -> bool:
    """Whether a request reads what anyone may read from any web page (CORS allowed)."""
    return method in READ_METHODS and path.startswith(PUBLIC_READS) and path != "/api/v1/check"


def answer_headers(config, path: str, method: str) -> list[tuple[str, str]]:
    """The headers an answer carries besides HEADERS and its own: CORS on public reads, HSTS over
    HTTPS. Flask's answers (register below) and the feed polls answered before Flask both use it."""
    added = list(CORS_HEADERS.items()) if public_read(path, method) else []
    if config.get("SESSION_COOKIE_SECURE"):
        added.append(HSTS)
    return added


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


class DuplicateKey(UnreadableBody):
    """A JSON object that names one key twice: which of the two was meant cannot be known."""


NOT_JSON = "The body is not a JSON document (UTF-8)."
JSON_ONLY = "Send the body as JSON, with the header Content-Type: application/json."


def json_body():
    """The request body as JSON; RequestEntityTooLarge when it is over the limit, UnreadableBody
    when it is not JSON (NaN and Infinity are not JSON numbers), DuplicateKey when an object
    repeats a key."""
    return parse_json(request.get_data(cache=False))


def parse_json(raw: bytes | str):
    """A JSON document from bytes (UTF-8) or text; UnreadableBody when it is not one, DuplicateKey
    when an object names a key twice (Python's json would keep the last silently)."""
    try:
        return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, parse_constant=_no_constant,
                          object_pairs_hook=_unique_keys)
    except DuplicateKey:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise UnreadableBody(NOT_JSON) from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list) -> dict:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen = set()
        repeated = next(key for key, _value in pairs if key in seen or seen.add(key))
        shown = repr(repeated) if len(repeated) <= 60 else repr(repeated[:57]) + "…"
        raise DuplicateKey(f"The body is not valid: an object names the key {shown} twice; each key may appear once.")
    return found


# -- errors ----------------------------------------------------------------------------------------


def wants_json() -> bool:
    """The API and machine-readable surfaces answer errors in JSON (the exports page, /exports/, in HTML)."""
    path = request.path
    return path.startswith("/api/") or path == "/api" or (
        path.startswith(("/exports/", "/schemas/", "/healthz")) and not path.endswith("/"))


def wants_text() -> bool:
    """Feed readers get a short plain-text error: they show it as it is, and an HTML page is not a feed."""
    return request.path.startswith("/feeds/")


def error_response(status: int, message: str, errors: dict | None = None, headers=None):
    """The error answer: JSON (code, status, message, and the problems by field path, bounded by
    documents.bounded_problems with `errors_omitted` counting the rest) or the error page."""
    if wants_json():
        body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
        if errors:
            body["errors"], omitted = bounded_problems(errors)
            if omitted:
                body["errors_omitted"] = omitted
        response = jsonify(body)
    elif wants_text():
        response = make_response(f"{status} {HTTPStatus(status).phrase}: {message}\n")
        response.mimetype = "text/plain"
    else:
        response = make_response(_error_page(status, message))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:  # RFC 6750: say how to authenticate
        response.headers.setdefault("WWW-Authenticate", "Bearer")
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


def _preflight_of_a_read() -> bool:
    """A CORS preflight (OPTIONS) for a public read: answered with what such a read may send.
    A preflight for a write gets nothing, so that the browser does not send it."""
    asked = request.headers.get("Access-Control-Request-Method", "")
    return bool(request.headers.get("Origin")) and public_read(request.path, asked)


def register(app) -> None:
    """The section converter, security headers on every response (errors included), and the error answers."""
    app.url_map.converters["section"] = SectionConverter

    @app.after_request
    def add_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        for name, value in answer_headers(app.config, request.path, request.method):
            response.headers.setdefault(name, value)
        if request.method == "OPTIONS" and _preflight_of_a_read():
            response.headers.update(CORS_HEADERS)
            response.headers.update(PREFLIGHT_HEADERS)
        return response

    @app.errorhandler(PublishingError)
    def refused(error: PublishingError):
        return error_response(error.status, error.message, error.errors)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Allow, Retry-After, WWW-Authenticate… as the exception gives them; the body is ours.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        if error.code == 405 and getattr(error, "valid_methods", None):
            headers["Allow"] = ", ".join(error.valid_methods)
        if error.code == 422 and hasattr(error, "data"):  # query arguments refused by webargs
            messages = error.data.get("messages", {})
            flat = {f"{location}.{name}": problems for location, fields in messages.items() for name, problems in fields.items()}
            return error_response(422, "The query arguments are not valid.", flat)
        if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS (REGISTRY_TRUSTED_HOSTS)
            return error_response(400, "This registry does not answer for the host named in the request (Host header).")
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
