"""POST /api/v1/check answered before Flask: what keeps a traveller check within a few times a bare WSGI answer.

A check's own work — reading the trip, the rules, the JSON — is a fraction of a
millisecond once the countries' current versions come from the process's snapshot
(registry/check/notifications.py). Flask's request context, session, hooks and
flask-smorest's wrapper would cost about as much again (docs/check.md, "How the check
reads its data"). This WSGI layer, which wraps the Flask application, answers a valid
check itself: it reads the body as the view does, asks the same snapshot and builds the
answer with the view's own function (check.checked), then adds what Flask's hooks add —
the security headers and answer_headers of registry/http.py, and Flask-Compress's
compression, `Vary: Accept-Encoding` included. tests/api/test_check_first.py compares
the two paths header for header and byte for byte.

Everything else goes on to Flask, the body it read put back: another method or path, a
body that is not declared JSON, has no length or is over MAX_CONTENT_LENGTH, is not JSON
or not a valid trip (Flask answers 400, 413, 415 or 422 in its own words), a Host outside
TRUSTED_HOSTS (Flask answers 400), a registry whose state cannot be read directly (the
view reads it with the ORM, or answers 503), and any error while answering (Flask
answers it as every other error).
"""
import io

from flask_compress.flask_compress import _choose_algorithm, _compress_data
from werkzeug.exceptions import SecurityError
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_host

from ..check import notifications, trip as trips
from ..http import HEADERS, UnreadableBody, answer_headers, parse_json
from .check import answer_language, checked

PATH = "/api/v1/check"


class ChecksFirst:
    """WSGI middleware: answers valid traveller checks, passes everything else to `wsgi_app`."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != PATH:
            return self.wsgi_app(environ, start_response)
        answered = self.answer(environ)
        if answered is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answered
        start_response(status, headers)
        return [body]

    def answer(self, environ) -> tuple[str, list, bytes] | None:
        """(status, headers, body) for a check answered here, or None to let Flask answer."""
        config = self.app.config
        asked = Request(environ)
        length = asked.content_length
        if not asked.is_json or length is None or length > config["MAX_CONTENT_LENGTH"]:
            return None
        try:
            if config["TRUSTED_HOSTS"] is not None:
                get_host(environ, trusted_hosts=config["TRUSTED_HOSTS"])
        except SecurityError:
            return None
        data = asked.get_data(cache=False)
        environ["wsgi.input"] = io.BytesIO(data)  # for Flask, if it answers after all
        try:
            trip = trips.read_trip(parse_json(data))
        except (UnreadableBody, trips.InvalidTrip):
            return None
        try:
            registry = notifications.current(self.app)
            if isinstance(registry, notifications.Unkept):
                return None
            response = checked(self.app, trip, registry, answer_language(asked))
        except Exception:  # Flask meets it again, and its error handlers log and answer it
            return None
        return self.finished(environ, response)

    def finished(self, environ, response) -> tuple[str, list, bytes]:
        """The answer with what Flask's hooks add to the view's: registry/http.py's headers, then Flask-Compress's.

        Worked on as a list of pairs, in the order werkzeug's Headers would leave them (a header set anew
        keeps its place, a new one goes last): Headers looks each name up by lowering every name it holds."""
        config = self.app.config
        headers = response.headers.to_wsgi_list()
        names = [name.lower() for name, _ in headers]

        def put(name: str, value: str, *, replace: bool = True) -> None:
            lowered = name.lower()
            if lowered not in names:
                headers.append((name, value))
                names.append(lowered)
            elif replace:
                headers[names.index(lowered)] = (name, value)

        for name, value in [*HEADERS.items(), *answer_headers(config, PATH, "POST")]:
            put(name, value, replace=False)
        vary = next((value for lowered, (_, value) in zip(names, headers) if lowered == "vary"), None)
        if not vary:
            put("Vary", "Accept-Encoding")
        elif "accept-encoding" not in vary.lower():
            put("Vary", f"{vary}, Accept-Encoding")
        body = response.get_data()
        encoding = _choose_algorithm(tuple(config["COMPRESS_ALGORITHM"]), environ.get("HTTP_ACCEPT_ENCODING", ""))
        if (encoding is not None and response.mimetype in config["COMPRESS_MIMETYPES"]
                and len(body) >= config["COMPRESS_MIN_SIZE"]):
            put("Content-Encoding", encoding)
            body = _compress_data(self.app, body, encoding)
            put("Content-Length", str(len(body)))
        return response.status, headers, body


def answer_checks_first(app) -> None:
    """Wrap the application so that valid traveller checks are answered before Flask dispatches them."""
    app.wsgi_app = ChecksFirst(app, app.wsgi_app)
