"""The traveller check's answer, described once: the marshmallow schemas of `CheckResult.as_json()` (registry/check/rules.py).

They describe, and do not build, the answer: the API declares them as its response, and
registry/json_schemas.py generates from them both schemas/check-result.schema.json and the
OpenAPI component, so the file, the description and the answer cannot disagree (a test
validates real answers against the served file). Every field the answer always holds is
`required`; extra JSON Schema keywords ride in a field's metadata.
"""
from marshmallow import Schema, fields, validate

from ..documents import AUTHORITY_ROLES, DOCUMENT_KINDS, SECTIONS, TRANSIT, TRAVELLERS_ALLOWED, CountryCode, Language, SubstanceKey
from .rules import VERDICTS


def _notified_text(**kwargs) -> fields.Dict:
    """A text as the country notified it, keyed by language code. Described as a plain map, not as the section
    documents' Text: that one forbids control characters and lone surrogates with a pattern that validators
    built on Rust's regex engine (jsonschema-rs, which schemathesis uses) refuse to compile, and an answer only
    repeats what the registry already validated."""
    return fields.Dict(keys=fields.String(), values=fields.String(), **kwargs, metadata={
        "description": "Text as the country notified it, keyed by ISO 639-1 language code."})

KEY = "^[a-z0-9]+(-[a-z0-9]+)*$"
SOURCE = {"minLength": 1, "description": "Where a statement comes from: 'guidelines ¶26', 'FR requirements version 3', "
                                         "'FR import-bans version 2', 'Schengen Convention, article 75'…"}


def _verdict(**kwargs):
    return fields.String(required=True, metadata={"enum": list(VERDICTS), **kwargs})


def _documents(description: str | None = None):
    return fields.List(fields.String(metadata={"enum": list(DOCUMENT_KINDS)}), required=True,
                       metadata={"description": description} if description else {})


def _nullable(field_class, **metadata):
    return field_class(required=True, allow_none=True, metadata=metadata)


class CheckReason(Schema):
    code = fields.String(required=True, metadata={"pattern": KEY, "description": "Stable identifier of the reason's kind; see docs/check.md."})
    text = fields.String(required=True, metadata={"minLength": 1, "description": "The reason in the answer's language (Content-Language; English unless the request asked for another)."})
    source = fields.String(required=True, metadata={**SOURCE, "examples": ["FR requirements version 3"]})
    params = fields.Dict(required=True, metadata={
        "description": "The values the text was built from (codes and numbers), to render it in another language.",
        "additionalProperties": {"type": ["string", "number", "boolean", "null", "array"], "items": {"type": "string"}}})


class CheckComputed(Schema):
    product = _nullable(fields.String, pattern=KEY, description="The product's key (data/products.json); null for a substance and its strength.")
    unit_doses = fields.Integer(required=True, metadata={"minimum": 1})
    mg_per_unit = fields.Float(required=True, metadata={"exclusiveMinimum": 0, "description": "Milligrams of the substance in one unit, as labelled."})
    amount_mg = fields.Float(required=True, metadata={"exclusiveMinimum": 0, "description": "mg_per_unit × unit_doses."})
    expressed_as = _nullable(fields.String, description="What the product's strength counts: 'base' or the salt; null for a substance and its strength.")


class CheckItemResult(Schema):
    substance = SubstanceKey(required=True)
    verdict = _verdict()
    documents = _documents()
    max_supply_days = _nullable(fields.Integer, minimum=1, description="The longest supply of this medicine the country accepts; null when its entry rules do not apply.")
    reasons = fields.List(fields.Nested(CheckReason), required=True, validate=validate.Length(min=1))
    computed = fields.Nested(CheckComputed, required=True, allow_none=True, metadata={
        "description": "How the total was counted from a strength per unit and a number of units; null when the request gave the total."})
    not_controlled = fields.List(fields.String(), required=True, metadata={
        "description": "The product's other ingredients, which no convention controls (INNs), e.g. naloxone."})


class CheckBasedOn(Schema):
    country = CountryCode(required=True)
    section = fields.String(required=True, metadata={"enum": list(SECTIONS)})
    version = fields.Integer(required=True, metadata={"minimum": 1})
    seq = fields.Integer(required=True, metadata={"minimum": 1})


class CheckAddress(Schema):
    lines = fields.List(fields.String(), required=True)
    city = fields.String(required=True)
    postal_code = fields.String(allow_none=True)
    country = CountryCode(required=True)


class CheckContact(Schema):
    country = CountryCode(required=True, metadata={
        "description": "The authority's country: the destination's or transit country's own, or the departure's for certificates."})
    roles = fields.List(fields.String(metadata={"enum": list(AUTHORITY_ROLES)}), required=True, validate=validate.Length(min=1))
    name = fields.String(required=True)
    address = fields.Nested(CheckAddress, required=True)
    phone = _nullable(fields.String)
    fax = _nullable(fields.String)
    email = _nullable(fields.String)
    website = _nullable(fields.String)
    languages = fields.List(fields.String(), required=True)
    notes = _notified_text(required=True, allow_none=True)


class CheckLanguages(Schema):
    document_languages = fields.List(Language(), required=True, allow_none=True)
    translation_required = _nullable(fields.Boolean)
    source = fields.String(required=True, metadata=SOURCE)


class CheckCustoms(Schema):
    declare_on_entry = fields.Boolean(required=True)
    endorsement = fields.Boolean(required=True)
    show_on_request = fields.Boolean(required=True)
    source = fields.String(required=True, metadata=SOURCE)


class CheckContinuity(Schema):
    extension_possible = _nullable(fields.Boolean)
    how = _notified_text(required=True, allow_none=True)
    source = fields.String(required=True, metadata=SOURCE)


class CheckCountryResult(Schema):
    country = CountryCode(required=True)
    role = fields.String(required=True, metadata={"enum": ["destination", "transit"]})
    verdict = _verdict()
    documents = _documents()
    based_on = fields.List(fields.Nested(CheckBasedOn), required=True,
                           metadata={"description": "The versions used; empty when the guidelines' defaults applied."})
    items = fields.List(fields.Nested(CheckItemResult), required=True, validate=validate.Length(min=1), metadata={
        "description": "One per controlled substance of each medicine, in order: a product with two controlled ingredients gives two."})
    authorities = fields.List(fields.Nested(CheckContact), required=True)
    languages = fields.Nested(CheckLanguages, required=True)
    customs = fields.Nested(CheckCustoms, required=True)
    continuity = fields.Nested(CheckContinuity, required=True)
    max_supply_days = fields.Integer(required=True, metadata={"minimum": 1})
    permit_lead_days = _nullable(fields.Integer, minimum=0)
    travellers_allowed = fields.String(required=True, allow_none=True, metadata={"enum": list(TRAVELLERS_ALLOWED)})
    transit = fields.String(required=True, allow_none=True, metadata={
        "enum": list(TRANSIT),
        "description": "For a transit country, what it asks of travellers passing through; null for the destination."})
    transit_notes = _notified_text(required=True, allow_none=True)
    notes = _notified_text(required=True, allow_none=True)
    notices = fields.List(fields.Nested(CheckReason), required=True, metadata={
        "description": "What the traveller should know about the information itself, as reasons: a section read here "
                       "that its country has not confirmed within the confirmation cycle (code confirmation-overdue)."})


class CheckResult(Schema):
    """The answer of POST /api/v1/check (docs/api.md, "Traveller check")."""

    verdict = _verdict()
    documents = _documents("Every document kind the whole trip needs.")
    departure = CountryCode(required=True, allow_none=True)
    countries = fields.List(fields.Nested(CheckCountryResult), required=True, validate=validate.Length(min=1),
                            metadata={"description": "The destination first, then each transit country."})
    disclaimer = fields.String(required=True, metadata={"minLength": 1})
    demo = fields.Boolean(metadata={"description": "True when the registry holds demonstration data (always present in the API's answer)."})
