"""The JSON API, /api/v1 (docs/api.md, "JSON API"). Views are thin: they read HTTP, call a service, answer."""

from apispec.ext.marshmallow.common import make_schema_key, resolve_schema_instance
from flask import current_app, jsonify, make_response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import NotFound, RequestEntityTooLarge, TooManyRequests

from .. import history, json_schemas, publishing, reference
from .memory import HOLDS_UNTIL
from ..accounts import authenticate_token
from ..check.trip import CheckRequest
from ..config import VERSION
from ..db import rfc3339
from ..documents import SECTIONS
from ..http import JSON_ONLY, DuplicateKey, UnreadableBody, absolute, json_body, upper_case_location
from ..publishing import Actor, Precondition
from ..workflow import reconfirmation

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="Read and publish national notifications.")

CHANGES_PAGE_DEFAULT = 100
CHANGES_PAGE_MAX = 1000
MAX_SEQ = 2**31 - 1  # beyond any history; larger numbers would overflow the database's integers


class ErrorBody(Schema):
    code = fields.Integer()
    status = fields.String()
    message = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": "The problems by field path: the first 50 or so, paths and messages cut short."})
    errors_omitted = fields.Integer(metadata={"description": "How many more problems there were, when not all are listed."})


def not_modified(view):
    """Document the 304 a public read answers to a conditional request for what the client has (If-None-Match)."""
    return bp.alt_response(304, description="Not modified (If-None-Match matched).")(view)


def answers(*statuses):
    """Document the error (or redirect) answers an operation may give, with their JSON body."""
    def decorate(view):
        for status in statuses:
            view = bp.alt_response(status, schema=ErrorBody, description=ANSWERS[status])(view)
        return view
    return decorate


ANSWERS = {
    301: "The country code was lower case: Location has the upper-case URL.",
    400: "The body is not JSON, or an object in it names a key twice.",
    401: "No valid token.",
    403: "Another country's notification.",
    404: "Unknown country, section, version or substance, or nothing notified.",
    409: "The section is withdrawn, or already withdrawn.",
    412: "The If-Match ETag is not the current version's: nothing stored.",
    413: "The body is over 1 MiB.",
    415: "The body is not sent as JSON (Content-Type: application/json).",
    422: "Not valid: errors by field path; nothing stored.",
    428: "If-Match or If-None-Match: * is missing.",
    429: "Too many writes without a valid token from this address: wait Retry-After seconds.",
}


class Meta(Schema):
    country = fields.String(metadata={"example": "FR"})
    section = fields.String(metadata={"enum": list(SECTIONS)})
    version = fields.Integer()
    seq = fields.Integer()
    published_at = fields.String(metadata={"format": "date-time"})
    published_by = fields.String()
    approved_by = fields.String(metadata={"description": "The authority whose second account approved the version; "
                                                          "present only when one did."})
    withdrawn = fields.Boolean()
    changes = fields.List(fields.String())
    prev_hash = fields.String()
    hash = fields.String()


class VersionResource(Schema):
    meta = fields.Nested(Meta)
    document = fields.Dict(allow_none=True, metadata={"description": "The section document as published; null when withdrawn."})


CONFIRMATION_DUE = fields.String(allow_none=True, metadata={
    "format": "date-time",
    "description": "When the section is due for confirmation: its last confirmation (or publication, if later) plus the "
                   "confirmation cycle the secretariat sets (12 months unless changed); null for a withdrawn section."})
OVERDUE = fields.Boolean(metadata={
    "description": "true once confirmation_due has passed: the country neither confirmed nor republished the section "
                   "within the cycle, so its information may be out of date."})


class CurrentMeta(Meta):
    """A current section's meta: the version's, and where the section stands in its confirmation cycle."""

    confirmation_due = CONFIRMATION_DUE
    overdue = OVERDUE


class CurrentResource(Schema):
    meta = fields.Nested(CurrentMeta)
    document = fields.Dict(allow_none=True, metadata={"description": "The section document as published; null when withdrawn."})


class VersionList(Schema):
    versions = fields.List(fields.Nested(Meta))


class Changes(Schema):
    changes = fields.List(fields.Nested(VersionResource))
    last_seq = fields.Integer(allow_none=True)
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page, null on the last page."})


class SectionSummary(Schema):
    version = fields.Integer()
    seq = fields.Integer()
    published_at = fields.String(metadata={"format": "date-time"})
    last_confirmed = fields.String(metadata={"format": "date-time"})
    confirmation_due = CONFIRMATION_DUE
    overdue = OVERDUE
    withdrawn = fields.Boolean()


class CountrySummary(Schema):
    country = fields.String()
    names = fields.Dict(keys=fields.String(), values=fields.String())
    sections = fields.Dict(keys=fields.String(), values=fields.Nested(SectionSummary, allow_none=True))


class CountryList(Schema):
    countries = fields.List(fields.Nested(CountrySummary))


class CountryResource(CountrySummary):
    current = fields.Dict(keys=fields.String(), values=fields.Nested(CurrentResource, allow_none=True))
    links = fields.Dict(keys=fields.String(), values=fields.String())


class GuidelineAmount(Schema):
    annex = fields.String()
    form = fields.String(allow_none=True)
    amount_mg = fields.Float()
    paragraph = fields.String()
    source_spelling = fields.String(allow_none=True, metadata={
        "description": "The substance's name as the guidelines' text spells it, where that differs from its INN."})


class SubstanceResource(Schema):
    key = fields.String()
    inn = fields.String()
    names = fields.Dict(keys=fields.String(), values=fields.String())
    other_names = fields.List(fields.String(), metadata={
        "description": "Other names it is known by (codes, street and trade names of the INCB lists): "
                       "the registry's pages find it by these too."})
    schedules = fields.List(fields.String())
    guideline_amounts = fields.List(fields.Nested(GuidelineAmount))
    banned_by = fields.List(fields.String())


class SubstanceList(Schema):
    edition = fields.Dict(keys=fields.String(), values=fields.String(), metadata={"description": "Which INCB lists the reference data follows."})
    substances = fields.List(fields.Nested(SubstanceResource))


class Confirmed(Schema):
    country = fields.String()
    section = fields.String()
    version = fields.Integer()
    last_confirmed = fields.String(metadata={"format": "date-time"})


class ChangesQuery(Schema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SEQ), metadata={"description": "Only versions with a greater seq."})
    limit = fields.Integer(load_default=CHANGES_PAGE_DEFAULT, validate=validate.Range(min=1, max=CHANGES_PAGE_MAX))


DOCUMENT_BODY = {
    "required": True,
    "description": "The section document (requirements, authorities or import-bans, by the section in the path).",
    "content": {"application/json": {"schema": {"oneOf": [
        {"$ref": "#/components/schemas/Requirements"},
        {"$ref": "#/components/schemas/Authorities"},
        {"$ref": "#/components/schemas/ImportBans"},
    ]}}},
}
IF_MATCH = {"in": "header", "name": "If-Match", "schema": {"type": "string"},
            "description": "ETag of the current version (later versions, withdrawal)."}
# A publication needs one of the two (428 without either); a withdrawal always needs If-Match.
WRITE_HEADERS = [
    IF_MATCH,
    {"in": "header", "name": "If-None-Match", "schema": {"type": "string", "enum": ["*"]}, "description": "* for the first version."},
]
WITHDRAW_HEADERS = [{**IF_MATCH, "required": True}]
SECURITY = [{"bearerAuth": []}]


@bp.before_request
def _country_in_url():
    """On reads, a lower-case country code is redirected (301, docs/api.md "Identifiers") and an unknown one is 404.

    Writes name their country to the publishing service, which refuses (and audits) an unknown one.
    """
    code = (request.view_args or {}).get("country")
    if code is None or request.method not in ("GET", "HEAD") or reference.country(code):
        return None
    location = upper_case_location(code)
    if location is None:
        raise NotFound(f"{code!r} is not an ISO 3166-1 alpha-2 country code.")
    response = jsonify({"code": 301, "status": "Moved Permanently", "message": f"Country codes are upper case: {location}"})
    response.status_code = 301
    response.headers["Location"] = location
    return response


@bp.before_request
def _not_too_many_refusals():
    """An address whose writes were refused for want of a token too often this minute is answered
    429 before anything else, the token included, is looked up (publishing.AnonymousRefusals)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint == "api.CheckView":
        return
    wait = publishing.throttled(request.remote_addr)
    if wait is not None:
        raise TooManyRequests(f"Too many writes without a valid API token from this address; try again in {wait} s.",
                              retry_after=wait)


def _actor() -> Actor:
    """Who is calling, from the bearer token; Actor(None) when there is no valid one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    row = authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
    return Actor(row.account if row else None, row.id if row else None, request.remote_addr)


def _precondition() -> Precondition:
    if_match = request.if_match
    tags = frozenset(["*"]) if if_match.star_tag else frozenset(_version_tag(tag) for tag in if_match.as_set())
    return Precondition(if_match=tags, if_none_match_any=request.if_none_match.star_tag)


def _version_tag(tag: str | None) -> str | None:
    """The version an If-Match tag names: a current section's tag (_current_etag) begins with the version's hash."""
    return tag.split("-", 1)[0] if tag else tag


def _body(actor: Actor, action: str, country: str, section: str):
    """The JSON document in the request body; a body not sent as JSON (415), over the limit (413),
    unreadable or with a key named twice (400) is refused (and audited)."""
    if not request.is_json:
        publishing.refuse(actor, action, country, section, publishing.UnsupportedType(f"{JSON_ONLY} Nothing was stored."))
    try:
        return json_body()
    except RequestEntityTooLarge:
        publishing.refuse(actor, action, country, section, publishing.TooLarge("The body is over 1 MiB; nothing was stored."))
    except DuplicateKey as refusal:
        publishing.refuse(actor, action, country, section, publishing.Unreadable(f"{refusal} Nothing was stored."))
    except UnreadableBody:
        publishing.refuse(actor, action, country, section, publishing.Unreadable("The body is not a JSON document (UTF-8); nothing was stored."))


def _version_response(version, status: int = 200):
    response = make_response(jsonify(history.resource(version)), status)
    response.set_etag(history.etag(version))
    response.last_modified = version.published_at
    return response


def _standing(row, confirmed_at, months: int) -> reconfirmation.Standing | None:
    """Where a current section stands in its confirmation cycle; None when withdrawn (nothing is in force to confirm)."""
    return None if row.withdrawn else reconfirmation.standing(confirmed_at, months=months)


def _confirmation_fields(place: reconfirmation.Standing | None) -> dict:
    """`confirmation_due` and `overdue` of a current section (docs/api.md, "Confirmation cycle")."""
    return place.meta() if place is not None else {"confirmation_due": None, "overdue": False}


def _current_resource(row, place: reconfirmation.Standing | None) -> dict:
    """A current section as the API gives it: the version, its meta with the section's confirmation fields."""
    resource = history.resource(row)
    resource["meta"].update(_confirmation_fields(place))
    return resource


def _current_etag(row, place: reconfirmation.Standing | None) -> str:
    """A current section's entity tag: the version's hash, then when it is due for confirmation and whether that passed.

    A confirmation moves the due date, and time makes the section overdue, while the version
    (and its hash, the version's own ETag) stays the same; a tag that says both changes with
    the answer. If-Match takes it as the hash it begins with (_precondition).
    """
    if place is None:
        return history.etag(row)
    return f"{row.hash}-due-{place.due:%Y%m%dT%H%M%SZ}" + ("-overdue" if place.overdue else "")


def _current_response(row, place: reconfirmation.Standing | None):
    response = make_response(jsonify(_current_resource(row, place)))
    response.set_etag(_current_etag(row, place))
    # When the answer last changed: the publication, the last confirmation, or the moment it became overdue.
    response.last_modified = row.published_at if place is None else place.due if place.overdue else place.confirmed_at
    return response


def _holds_until(places) -> None:
    """Tell the memory of public reads (memory.py) when this answer changes by itself: when the first of its
    sections not yet overdue falls due."""
    due = [place.due for place in places if place is not None and not place.overdue]
    if due:
        request.environ[HOLDS_UNTIL] = min(due)


def _tagged(body: dict):
    """A public read's answer with a strong ETag made from its bytes, and 304 when If-None-Match names it; so that
    a program reading it again downloads it only when it changed."""
    response = jsonify(body)
    response.add_etag()
    return response.make_conditional(request)


def country_links(code: str) -> dict:
    """Where to read and follow a country's notification."""
    return {
        "self": absolute(url_for("api.CountryView", country=code)),
        "page": absolute(f"/countries/{code}"),
        "feed": absolute(f"/feeds/countries/{code}.atom"),
    }


def _standings(state: history.CountryState, months: int) -> dict:
    """Each current section's standing in its confirmation cycle, by section (None: withdrawn)."""
    return {section: _standing(row, state.confirmed[row.seq], months) for section, row in state.sections.items() if row is not None}


def _country_summary(state: history.CountryState, places: dict) -> dict:
    """A country with a summary of each section, `places` their standings (_standings)."""
    sections = {}
    for section, row in state.sections.items():
        summary = history.section_summary(row, state.confirmed)
        sections[section] = None if summary is None else {**summary, **_confirmation_fields(places[section])}
    return {"country": state.country.code, "names": dict(state.country.names), "sections": sections}


class ApiIndex(Schema):
    name = fields.String()
    version = fields.String(metadata={"description": "The registry software's version."})
    links = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "Absolute URLs: the collections, the check, the OpenAPI description and its reference page."})
    schemas = fields.Dict(keys=fields.String(), values=fields.String(),
                          metadata={"description": "The JSON Schemas of the request bodies and the exports, by name."})


@bp.route("/", strict_slashes=False)
class IndexView(MethodView):
    @bp.response(200, ApiIndex)
    def get(self):
        """Where everything in the API is: start here."""
        return jsonify({
            "name": current_app.config["API_TITLE"],
            "version": VERSION,
            "links": {
                "countries": absolute(url_for("api.CountriesView")),
                "substances": absolute(url_for("api.SubstancesView")),
                "products": absolute(url_for("api.ProductsView")),
                "search": absolute(url_for("api.SearchView")),
                "changes": absolute(url_for("api.ChangesView")),
                "check": absolute(url_for("api.CheckView")),
                "openapi": absolute(url_for("api-docs.openapi_json")),
                "reference": absolute(url_for("api_reference.page")),
                "exports": absolute("/exports/index.json"),
                "feeds": absolute("/feeds/changes.atom"),
            },
            "schemas": {name: absolute(f"/schemas/{name}.schema.json") for name in json_schemas.SERVED},
        })


@bp.route("/countries")
class CountriesView(MethodView):
    @bp.response(200, CountryList)
    @not_modified
    def get(self):
        """Every country, with the current version of each section (null where nothing was notified)."""
        months = reconfirmation.cycle_months()
        countries, every_place = [], []
        for state in history.country_states():
            places = _standings(state, months)
            every_place.extend(places.values())
            countries.append(_country_summary(state, places))
        _holds_until(every_place)
        return _tagged({"countries": countries})


@bp.route("/countries/<string:country>")
class CountryView(MethodView):
    @bp.response(200, CountryResource)
    @not_modified
    @answers(301, 404)
    def get(self, country):
        """A country's current state: all three sections."""
        state = history.country_states(country=country)[0]
        places = _standings(state, reconfirmation.cycle_months())
        body = _country_summary(state, places)
        body["current"] = {section: _current_resource(row, places[section]) if row else None for section, row in state.sections.items()}
        body["links"] = country_links(country)
        _holds_until(places.values())
        return _tagged(body)


@bp.route("/countries/<string:country>/<section:section>")
class SectionView(MethodView):
    @bp.response(200, CurrentResource)
    @not_modified
    @answers(301, 404)
    def get(self, country, section):
        """The current version of a section, with where it stands in its confirmation cycle, and its ETag."""
        row = history.current(country, section)
        if row is None:
            raise NotFound(f"{country} has not notified its {section}.")
        place = _standing(row, history.last_confirmed([row])[row.seq], reconfirmation.cycle_months())
        _holds_until([place])
        return _current_response(row, place).make_conditional(request)

    @bp.doc(requestBody=DOCUMENT_BODY, parameters=WRITE_HEADERS, security=SECURITY)
    @bp.response(200, VersionResource, description="A later version was published.")
    @bp.alt_response(201, schema=VersionResource, description="The first version was published.")
    @answers(400, 401, 403, 404, 412, 413, 415, 422, 428, 429)
    def put(self, country, section):
        """Publish a new version of a section."""
        actor = _actor()
        if actor.account is None:
            publishing.refuse(actor, "publish", country, section, publishing.NotAuthenticated(publishing.NO_TOKEN))
        document = _body(actor, "publish", country, section)
        row = publishing.publish(actor, country, section, document, _precondition())
        response = _version_response(row, 201 if row.version == 1 else 200)
        response.headers["Location"] = url_for("api.VersionView", country=country, section=section, number=row.version)
        return response

    @bp.doc(parameters=WITHDRAW_HEADERS, security=SECURITY)
    @bp.response(200, VersionResource, description="The withdrawal, a new version whose document is null.")
    @answers(401, 403, 404, 409, 412, 428, 429)
    def delete(self, country, section):
        """Withdraw a section (a new version, document null); needs If-Match."""
        row = publishing.withdraw(_actor(), country, section, _precondition())
        return _version_response(row)


@bp.route("/countries/<string:country>/<section:section>/confirm")
class ConfirmView(MethodView):
    @bp.doc(security=SECURITY)
    @bp.response(200, Confirmed)
    @answers(401, 403, 404, 409, 429)
    def post(self, country, section):
        """Confirm that the current version is still correct (updates last_confirmed, no new version)."""
        publishing.confirm(_actor(), country, section)
        row = history.current(country, section)
        return jsonify({
            "country": country,
            "section": section,
            "version": row.version,
            "last_confirmed": rfc3339(history.last_confirmed([row])[row.seq]),
        })


@bp.route("/countries/<string:country>/<section:section>/versions")
class VersionsView(MethodView):
    @bp.response(200, VersionList)
    @not_modified
    @answers(301, 404)
    def get(self, country, section):
        """Every version of a section, oldest first."""
        return _tagged({"versions": [history.meta(row) for row in history.versions(country, section)]})


@bp.route("/countries/<string:country>/<section:section>/versions/<int(max=2147483647):number>")
class VersionView(MethodView):
    @bp.response(200, VersionResource)
    @not_modified
    @answers(301, 404)
    def get(self, country, section, number):
        """One version of a section."""
        row = history.version(country, section, number)
        if row is None:
            raise NotFound(f"{country} {section} has no version {number}.")
        return _version_response(row).make_conditional(request)


@bp.route("/changes")
class ChangesView(MethodView):
    @bp.arguments(ChangesQuery, location="query", as_kwargs=True)
    @bp.response(200, Changes)
    @not_modified
    @answers(422)
    def get(self, after, limit):
        """Every version in seq order, a page at a time: follow `next` until it is null."""
        rows = history.changes_after(after, limit)
        last = rows[-1].seq if rows else None
        more = len(rows) == limit
        return _tagged({
            "changes": [history.resource(row) for row in rows],
            "last_seq": last,
            "next": url_for("api.ChangesView", after=last, limit=limit) if more else None,
        })


def substance_resource(substance: reference.Substance, banned_by: list[str]) -> dict:
    """A substance as the API shows it (docs/api.md, "A substance resource")."""
    return {
        "key": substance.key,
        "inn": substance.inn,
        "names": dict(substance.names),
        "other_names": list(substance.other_names),
        "schedules": list(substance.schedules),
        "guideline_amounts": [
            {"annex": amount.annex, "form": amount.form, "amount_mg": amount.amount_mg, "paragraph": amount.paragraph,
             "source_spelling": amount.source_spelling}
            for amount in reference.guideline_amounts(substance.key)
        ],
        "banned_by": banned_by,
    }


@bp.route("/substances")
class SubstancesView(MethodView):
    @bp.response(200, SubstanceList)
    @not_modified
    def get(self):
        """Every internationally controlled substance, with the countries that ban it (article 13)."""
        bans = history.active_bans()
        return _tagged({
            "edition": dict(reference.edition()),
            "substances": [substance_resource(item, bans.get(key, [])) for key, item in reference.substances().items()],
        })


@bp.route("/substances/<string:key>")
class SubstanceView(MethodView):
    @bp.response(200, SubstanceResource)
    @not_modified
    @answers(404)
    def get(self, key):
        """One substance, with the countries that ban it."""
        substance = reference.substance(key)
        if substance is None:
            raise NotFound(f"{key!r} is not a known substance key.")
        return _tagged(substance_resource(substance, history.active_bans().get(key, [])))


def describe(openapi) -> None:
    """Describe the request bodies (generated from the marshmallow schemas that validate them, as the
    files in schemas/ are: registry/json_schemas.py) and the token scheme in the OpenAPI description."""
    for name, component in json_schemas.openapi_components().items():
        openapi.spec.components.schema(name, component=component)
    # The check's body names the marshmallow schema; it is described by the generated component.
    converter = openapi.ma_plugin.converter
    converter.refs[make_schema_key(resolve_schema_instance(CheckRequest))] = json_schemas.COMPONENTS["check-request"]
    # A product's answer likewise (schemas/product.schema.json).
    converter.refs[make_schema_key(resolve_schema_instance(json_schemas.SOURCES["product"]))] = json_schemas.COMPONENTS["product"]
    converter.refs[make_schema_key(resolve_schema_instance(json_schemas.SOURCES["check-result"]))] = json_schemas.COMPONENTS["check-result"]
    converter.add_attribute_function(_null_in_enum)
    openapi.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})


def _null_in_enum(self, field, ret, **kwargs):
    """An answer's field that may be null and lists its values lists null too (OpenAPI 3.1, JSON Schema)."""
    if field.allow_none and "enum" in ret and None not in ret["enum"]:
        return {"enum": [*ret["enum"], None]}
    return {}
