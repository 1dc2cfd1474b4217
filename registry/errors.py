"""One place that turns refusals and HTTP errors into answers: JSON for the API, HTML for pages."""
from http import HTTPStatus

from flask import jsonify, make_response, render_template, request
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .publishing import PublishingError


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
    from .i18n import error_text

    try:
        title, text = error_text(status, message)
        return render_template("error.html", status=status, title=title, message=text)
    except Exception:  # the database or a template may be what failed: still answer
        db.session.rollback()
        phrase = HTTPStatus(status).phrase
        return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status} {escape(phrase)}</title>"
                f"<h1>{status} {escape(phrase)}</h1><p>{escape(message)}</p><p><a href=\"/\">The registry</a></p></html>")


def register(app) -> None:
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
