"""POST /api/v1/check: the traveller check over HTTP (docs/api.md, "Traveller check").

The view reads the request, fetches the current versions of the trip's countries
in one query, and lets registry/check/ decide. Nothing the traveller sends
is stored, audited or logged: a check is a read, and its answer is marked no-store.

The answer's words — each reason's `text` and the disclaimer — are in one of the six
languages of the pages (`?lang=`, else `Accept-Language`, else English), from the
same catalogues as the check page; everything a program reads (verdicts, codes,
params, sources) is the same in every language.
"""
from flask import jsonify, request
from flask.views import MethodView
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .. import history, i18n
from ..check import reasons, rules, trip as trips
from ..check.result import CheckResult
from ..check.notifications import current_documents
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


def answer_language() -> str:
    """The language asked for: a known `?lang=`, else the best of Accept-Language, else English."""
    asked = request.args.get("lang")
    if asked in i18n.LANGUAGES:
        return asked
    return request.accept_languages.best_match(i18n.LANGUAGES) or "en"


def in_language(answer: dict, result, lang: str) -> dict:
    """The answer with each reason's text and the disclaimer worded in `lang`; nothing else changes."""
    if lang == "en":
        return answer  # the reasons' own English
    translate, translate_plural = i18n.catalog(lang).gettext, i18n.catalog(lang).ngettext
    for country_answer, country in zip(answer["countries"], result.countries):
        for item_answer, item in zip(country_answer["items"], country.items):
            for reason_answer, reason in zip(item_answer["reasons"], item.reasons):
                reason_answer["text"] = reasons.render(reason, translate, lang, translate_plural)
        for notice_answer, notice in zip(country_answer["notices"], country.notices):
            notice_answer["text"] = reasons.render(notice, translate, lang, translate_plural)
    answer["disclaimer"] = translate(result.disclaimer)
    return answer


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
        # One statement reads every country's current versions, so they are consistent with each other.
        notified = current_documents(trip.countries)
        result = rules.check(trip, notified)
        lang = answer_language()
        response = jsonify({**in_language(result.as_json(), result, lang), "demo": history.is_demo()})
        # The request describes someone's treatment: no cache on the way may keep the answer.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = lang
        response.vary.add("Accept-Language")
        return response
