"""POST /api/v1/check: the traveller check over HTTP (docs/api.md, "Traveller check").

The view reads the request, fetches the current versions of the trip's countries
in one query, and lets registry/check/ decide. Nothing the traveller sends
is stored, audited or logged: a check is a read, and its answer is marked no-store.
"""
from flask import jsonify, request
from flask.views import MethodView
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .. import history
from ..check import rules, trip as trips
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
    @bp.doc(requestBody=REQUEST_BODY, responses=ERRORS)
    @bp.response(200, CheckResult)
    def post(self):
        """The traveller check: what a patient needs to carry these medicines on this trip, and why."""
        try:
            trip = trips.read_trip(_body())
        except trips.InvalidTrip as refusal:
            raise Invalid("The check request is not valid; see the errors by field path.", refusal.errors) from None
        # One statement reads every country's current versions, so they are consistent with each other.
        notified = current_documents(trip.countries)
        response = jsonify({**rules.check(trip, notified).as_json(), "demo": history.is_demo()})
        # The request describes someone's treatment: no cache on the way may keep the answer.
        response.headers["Cache-Control"] = "no-store"
        return response
