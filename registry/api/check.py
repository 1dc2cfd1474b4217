"""POST /api/v1/check: the traveller check over HTTP (docs/api.md, "Traveller check").

The view reads the request, fetches the current versions of the trip's countries
in one query, and lets registry/check/ decide. Nothing the traveller sends
is stored, audited or logged: a check is a read, and its answer is marked no-store.
"""
from flask import jsonify, request
from flask.views import MethodView
from marshmallow import Schema, fields
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .. import history
from ..check import rules, trip as trips
from ..check.notifications import current_documents
from ..documents import AUTHORITY_ROLES, DOCUMENT_KINDS, SECTIONS, TRANSIT, TRAVELLERS_ALLOWED
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
    (422, "The request is not valid: errors by field path (unknown substance or country, absurd amounts, no items…)."),
)}


def _strings(choices, **kwargs):
    return fields.List(fields.String(metadata={"enum": list(choices)}), **kwargs)


class CheckReason(Schema):
    code = fields.String(metadata={"description": "Stable identifier of the reason's kind; see docs/check.md."})
    text = fields.String(metadata={"description": "The reason in English."})
    source = fields.String(metadata={"example": "FR requirements version 3", "description": "A paragraph of the guidelines, or the version read."})
    params = fields.Dict(metadata={"description": "The values the text was built from, to render it in another language."})


class CheckItemResult(Schema):
    substance = fields.String()
    verdict = fields.String(metadata={"enum": list(rules.VERDICTS)})
    documents = _strings(DOCUMENT_KINDS)
    max_supply_days = fields.Integer(allow_none=True)
    reasons = fields.List(fields.Nested(CheckReason))


class CheckBasedOn(Schema):
    country = fields.String()
    section = fields.String(metadata={"enum": list(SECTIONS)})
    version = fields.Integer()
    seq = fields.Integer()


class CheckContact(Schema):
    country = fields.String()
    roles = _strings(AUTHORITY_ROLES)
    name = fields.String()
    address = fields.Dict()
    phone = fields.String(allow_none=True)
    fax = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    notes = fields.Dict(allow_none=True)


class CheckLanguages(Schema):
    document_languages = fields.List(fields.String(), allow_none=True)
    translation_required = fields.Boolean(allow_none=True)
    source = fields.String()


class CheckCustoms(Schema):
    declare_on_entry = fields.Boolean()
    endorsement = fields.Boolean()
    show_on_request = fields.Boolean()
    source = fields.String()


class CheckContinuity(Schema):
    extension_possible = fields.Boolean(allow_none=True)
    how = fields.Dict(allow_none=True)
    source = fields.String()


class CheckCountryResult(Schema):
    country = fields.String()
    role = fields.String(metadata={"enum": ["destination", "transit"]})
    verdict = fields.String(metadata={"enum": list(rules.VERDICTS)})
    documents = _strings(DOCUMENT_KINDS)
    based_on = fields.List(fields.Nested(CheckBasedOn), metadata={"description": "The versions used; empty when the guidelines' defaults applied."})
    items = fields.List(fields.Nested(CheckItemResult))
    authorities = fields.List(fields.Nested(CheckContact))
    languages = fields.Nested(CheckLanguages)
    customs = fields.Nested(CheckCustoms)
    continuity = fields.Nested(CheckContinuity)
    max_supply_days = fields.Integer()
    permit_lead_days = fields.Integer(allow_none=True)
    travellers_allowed = fields.String(allow_none=True, metadata={"enum": list(TRAVELLERS_ALLOWED)})
    transit = fields.String(allow_none=True, metadata={"enum": list(TRANSIT)})
    transit_notes = fields.Dict(allow_none=True)
    notes = fields.Dict(allow_none=True)


class CheckResult(Schema):
    verdict = fields.String(metadata={"enum": list(rules.VERDICTS)})
    documents = _strings(DOCUMENT_KINDS)
    departure = fields.String(allow_none=True)
    countries = fields.List(fields.Nested(CheckCountryResult), metadata={"description": "The destination first, then each transit country."})
    disclaimer = fields.String()
    demo = fields.Boolean(metadata={"description": "True when the registry holds demonstration data."})


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
