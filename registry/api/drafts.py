"""A section's draft through the API, /api/v1/countries/{CC}/{section}/draft (docs/api.md, "Drafts and approval").

A draft is private to the country's accounts and the secretariat: every route, reads included,
needs a token, and no answer may be kept by a cache. Approving a submitted draft publishes it
through the publishing service, which numbers, chains and audits it like any publication.
"""
from flask import jsonify, make_response, request, url_for
from flask.views import MethodView
from marshmallow import Schema, fields

from .. import history, publishing, reference
from ..db import db, rfc3339
from ..documents import country_code_problem
from ..models import Account, Draft
from ..publishing import Actor
from ..workflow import drafts
from .views import SECURITY, VersionResource, _actor, _body, _version_response, answers, bp

STATES = ("open", "submitted", "returned")
DRAFT_BODY = {
    "required": True,
    "description": "The draft: the section document as far as it is written (it need not be valid yet), "
                   "or null for a draft that withdraws the section.",
    "content": {"application/json": {"schema": {"oneOf": [{"type": "object"}, {"type": "null"}]}}},
}
RETURN_BODY = {
    "required": True,
    "description": "What should change, for the draft's officers.",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["comment"],
        "properties": {"comment": {"type": "string", "minLength": 1, "maxLength": drafts.COMMENT_MAX}},
    }}},
}
NOT_A_DRAFT = "A draft is a JSON object (the section document, complete or not) or null (a withdrawal); nothing was stored."
NO_COMMENT = 'Send {"comment": "…"}: what should change before the draft is approved. Nothing was changed.'


class DraftResource(Schema):
    country = fields.String(metadata={"example": "FR"})
    section = fields.String()
    state = fields.String(metadata={"enum": list(STATES), "description": "open; submitted (awaiting approval); "
                                                                         "returned (with the reviewer's comment)."})
    document = fields.Dict(allow_none=True, metadata={"description": "As the officer left it, valid or not; null withdraws the section."})
    base_version = fields.Integer(allow_none=True, metadata={"description": "The version the draft was begun from "
                                                                            "(null: nothing was published then)."})
    published_since = fields.List(fields.Integer(), metadata={
        "description": "Versions published after base_version: approving is refused (412) until the draft is brought up to date."})
    differences = fields.List(fields.String(), metadata={"description": "What publishing the draft would change, "
                                                                        "in the sentences of a version's changes."})
    updated_at = fields.String(metadata={"format": "date-time"})
    updated_by = fields.String(metadata={"description": "The e-mail address of the account that saved it last."})
    submitted_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    submitted_by = fields.String(allow_none=True)
    returned_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    returned_by = fields.String(allow_none=True)
    comment = fields.String(allow_none=True, metadata={"description": "The reviewer's, when the draft was returned."})


def _email(account_id: int | None) -> str | None:
    account = db.session.get(Account, account_id) if account_id else None
    return account.email if account else None


def _moment(value):
    return rfc3339(value) if value else None


def draft_resource(draft: Draft) -> dict:
    """A draft as its country's accounts read it; never part of a public answer."""
    versions = history.versions(draft.country, draft.section)
    base = next((row.version for row in versions if row.seq == draft.base_seq), None)
    return {
        "country": draft.country,
        "section": draft.section,
        "state": draft.state,
        "document": drafts.document(draft),
        "base_version": base,
        "published_since": [row.version for row in drafts.published_since(draft)],
        "differences": drafts.differences(draft),
        "updated_at": rfc3339(draft.updated_at),
        "updated_by": _email(draft.updated_by),
        "submitted_at": _moment(draft.submitted_at),
        "submitted_by": _email(draft.submitted_by),
        "returned_at": _moment(draft.returned_at),
        "returned_by": _email(draft.returned_by),
        "comment": draft.comment,
    }


def _private(body: dict, status: int = 200):
    response = make_response(jsonify(body), status)
    response.cache_control.no_store = True
    return response


def _signed(action: str, country: str, section: str) -> Actor:
    """The caller, with a valid token; a write without one is refused and audited like any (publishing.refuse)."""
    actor = _actor()
    if actor.account is None:
        refusal = publishing.NotAuthenticated(publishing.NO_TOKEN)
        if request.method in ("GET", "HEAD"):
            raise refusal
        publishing.refuse(actor, action, country, section, refusal)
    return actor


def _known(country: str) -> None:
    """Writes name their country in the URL unchecked (reads are checked before the view): an unknown one is 404."""
    if reference.country(country) is None:
        raise publishing.NotFound(country_code_problem(country))


@bp.route("/countries/<string:country>/<section:section>/draft")
class DraftView(MethodView):
    @bp.doc(security=SECURITY)
    @bp.response(200, DraftResource)
    @answers(301, 401, 403, 404)
    def get(self, country, section):
        """The section's draft, for the country's accounts and the secretariat (404 when there is none)."""
        account = _signed("draft-read", country, section).account
        if not account.may_write(country):
            raise publishing.NotAllowed(f"This account may read only {account.country}'s drafts, not {country}'s.")
        draft = drafts.find(country, section)
        if draft is None:
            raise publishing.NotFound(f"There is no draft of {country}'s {section}.")
        return _private(draft_resource(draft))

    @bp.doc(requestBody=DRAFT_BODY, security=SECURITY)
    @bp.response(200, DraftResource, description="The draft was replaced.")
    @bp.alt_response(201, schema=DraftResource, description="The draft was begun.")
    @answers(400, 401, 403, 404, 409, 413, 415, 422, 429)
    def put(self, country, section):
        """Save the section's draft (created on the first save); nothing is published."""
        actor = _signed("draft-save", country, section)
        document = _body(actor, "draft-save", country, section)
        _known(country)
        if document is not None and not isinstance(document, dict):
            raise publishing.Invalid(NOT_A_DRAFT, {"": ["The draft must be a JSON object or null."]})
        begun = drafts.find(country, section) is None
        return _private(draft_resource(drafts.save(actor.account, country, section, document)), 201 if begun else 200)

    @bp.doc(security=SECURITY)
    @bp.response(204, description="The draft was discarded.")
    @answers(401, 403, 404, 429)
    def delete(self, country, section):
        """Discard the section's draft."""
        actor = _signed("draft-discard", country, section)
        _known(country)
        drafts.discard(actor.account, country, section)
        response = make_response("", 204)
        response.cache_control.no_store = True
        return response


@bp.route("/countries/<string:country>/<section:section>/draft/submit")
class DraftSubmitView(MethodView):
    @bp.doc(security=SECURITY)
    @bp.response(200, DraftResource)
    @answers(401, 403, 404, 409, 429)
    def post(self, country, section):
        """Submit the draft for approval by another account of the country, or the secretariat."""
        actor = _signed("draft-submit", country, section)
        _known(country)
        return _private(draft_resource(drafts.submit(actor.account, country, section)))


@bp.route("/countries/<string:country>/<section:section>/draft/approve")
class DraftApproveView(MethodView):
    @bp.doc(security=SECURITY)
    @bp.response(200, VersionResource, description="The draft is published: the new version, approved_by naming the approver.")
    @bp.alt_response(201, schema=VersionResource, description="The draft is published as the section's first version.")
    @answers(401, 403, 404, 409, 412, 422, 429)
    def post(self, country, section):
        """Approve a submitted draft, which publishes it; nobody approves their own draft (403)."""
        actor = _signed("publish", country, section)
        _known(country)
        row = drafts.approve(actor, country, section)
        response = _version_response(row, 201 if row.version == 1 else 200)
        response.headers["Location"] = url_for("api.VersionView", country=country, section=section, number=row.version)
        return response


@bp.route("/countries/<string:country>/<section:section>/draft/return")
class DraftReturnView(MethodView):
    @bp.doc(requestBody=RETURN_BODY, security=SECURITY)
    @bp.response(200, DraftResource)
    @answers(400, 401, 403, 404, 409, 413, 415, 422, 429)
    def post(self, country, section):
        """Return a submitted draft to its officers with a comment; nothing is published."""
        actor = _signed("draft-return", country, section)
        body = _body(actor, "draft-return", country, section)
        _known(country)
        if not isinstance(body, dict) or not isinstance(body.get("comment"), str):
            raise publishing.Invalid(NO_COMMENT, {"comment": ["A comment is needed, as text."]})
        return _private(draft_resource(drafts.return_(actor.account, country, section, body["comment"])))


@bp.route("/countries/<string:country>/<section:section>/draft/rebase")
class DraftRebaseView(MethodView):
    @bp.doc(security=SECURITY)
    @bp.response(200, DraftResource)
    @answers(401, 403, 404, 429)
    def post(self, country, section):
        """Bring the draft up to date: it now applies to the current version (check its differences again)."""
        actor = _signed("draft-rebase", country, section)
        _known(country)
        return _private(draft_resource(drafts.rebase(actor.account, country, section)))
