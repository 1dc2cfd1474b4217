"""POST /api/v1/check: the traveller check over HTTP (docs/api.md, "Traveller check").

The view reads the request, takes the current versions of the trip's countries from
the process's snapshot of the registry (registry/check/notifications.py: one indexed
query proves it current), and lets registry/check/ decide. Nothing the traveller sends
is stored, audited or logged: a check is a read, and its answer is marked no-store.

The answer's words — each reason's `text` and the disclaimer — are in one of the six
languages of the pages (`?lang=`, else `Accept-Language`, else English), from the
same catalogues as the check page; everything a program reads (verdicts, codes,
params, sources) is the same in every language.
"""
import orjson
from flask import current_app, request
from flask.views import MethodView
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .. import i18n
from ..check import notifications, reasons, rules, trip as trips
from ..check.result import CheckResult
from ..http import JSON_ONLY, UnreadableBody, json_body
from ..publishing import Invalid
from .views import bp

REQUEST_BODY = {
    "required": True,
    "description": "The trip: destination, optional departure, transit countries and length of stay, and the medicines carried.",
    "content": {"application/json": {"schema": trips.CheckRequest}},
}
ERRORS = {status: {"description": text} for status, text in (
    (400, "The body is not a JSON document, or an object in it names a key twice."),
    (413, "The body is over 1 MiB."),
    (415, "The body is not sent as JSON (Content-Type: application/json)."),
    (422, "The request is not valid: errors by field path (unknown substance, product or country, with the closest "
          "names; absurd amounts; no items…)."),
)}
LANGUAGE_PARAMETERS = [
    {"in": "query", "name": "lang", "required": False, "schema": {"type": "string", "enum": list(i18n.LANGUAGES)},
     "description": "The language of the reasons' `text` and of the disclaimer; it wins over Accept-Language."},
    {"in": "header", "name": "Accept-Language", "required": False, "schema": {"type": "string"},
     "description": "The languages the client reads (RFC 9110 §12.5.4), used when `lang` is not given; English by default."},
]
ANSWER_HEADERS = {
    "Content-Language": {"description": "The language of the texts: one of " + ", ".join(i18n.LANGUAGES) + ".",
                         "schema": {"type": "string"}},
}


def answer_language(asked) -> str:
    """The language `asked` (a request) for: a known `?lang=`, else the best of Accept-Language, else English."""
    if not asked.environ.get("QUERY_STRING") and not asked.environ.get("HTTP_ACCEPT_LANGUAGE"):
        return "en"  # asked for nothing: without parsing either
    lang = asked.args.get("lang")
    if lang in i18n.LANGUAGES:
        return lang
    return asked.accept_languages.best_match(i18n.LANGUAGES) or "en"


def in_language(result, lang: str) -> dict:
    """The result as JSON, each reason's text and the disclaimer worded in `lang`; nothing else changes with it."""
    if lang == "en":
        return result.as_json()  # the reasons' own English
    words = i18n.catalog(lang)
    return result.as_json(lambda reason: reasons.render(reason, words.gettext, lang, words.ngettext),
                          words.gettext(result.disclaimer))


def checked(app, trip: trips.Trip, registry, lang: str):
    """The answer to a valid check, as the view gives it: the rules over the current versions `registry` holds
    (notifications.current), worded in `lang`. The view and the layer before Flask (check_first.py) both answer it."""
    result = rules.check(trip, registry.documents(trip.countries))
    # Written by orjson, in a tenth of the time the standard library takes (docs/check.md, "Performance"): keys
    # sorted and a final newline as Flask's jsonify writes them, characters outside ASCII as themselves (UTF-8).
    options = orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if app.debug else 0)
    response = app.response_class(orjson.dumps({**in_language(result, lang), "demo": registry.demo}, option=options),
                                  mimetype=app.json.mimetype)
    # The request describes someone's treatment: no cache on the way may keep the answer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = lang
    response.vary.add("Accept-Language")
    return response


def _body():
    if not request.is_json:
        raise UnsupportedMediaType(JSON_ONLY)
    try:
        return json_body()
    except RequestEntityTooLarge:
        raise RequestEntityTooLarge("The body is over 1 MiB.") from None
    except UnreadableBody as refusal:
        raise BadRequest(str(refusal)) from None


@bp.route("/check")
class CheckView(MethodView):
    @bp.doc(requestBody=REQUEST_BODY, responses=ERRORS, parameters=LANGUAGE_PARAMETERS)
    @bp.response(200, CheckResult, headers=ANSWER_HEADERS)
    def post(self):
        """The traveller check: what a patient needs to carry these medicines on this trip, and why."""
        try:
            trip = trips.read_trip(_body())
        except trips.InvalidTrip as refusal:
            raise Invalid("The check request is not valid; see the errors by field path.", refusal.errors) from None
        # Every country's current versions from one state of the registry, so they are consistent with each other.
        return checked(current_app, trip, notifications.current(), answer_language(request))
