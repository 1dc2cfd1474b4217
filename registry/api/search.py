"""GET /api/v1/search: countries, substances and medicinal products by any name, ranked (docs/api.md, "Search").

The view reads the query and answers what registry/search.py found, each hit with the API
address of its item.
"""
import re

from flask import jsonify, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from .. import search as finder
from ..http import absolute
from ..i18n import LANGUAGES
from .views import answers, bp


# A letter or a digit of any script: what a query needs to name anything (the OpenAPI description says it too).
SEARCHABLE = r"[^\W_]"


def searchable(text: str) -> None:
    """Refuse a query with nothing to search by: blank, or only punctuation."""
    if not re.search(SEARCHABLE, text):
        raise ValidationError("Give a name to search for: letters or digits, not only spaces or punctuation.")


QUERY = fields.String(validate=[validate.Length(min=1, max=finder.QUERY_MAX), searchable], metadata={
    "description": "A name in any language, or part of one, or a misspelling of one: at least one letter or digit.",
    "pattern": SEARCHABLE, "example": "Ritaline"})


class SearchQuery(Schema):
    q = fields.String(required=True, validate=QUERY.validate, metadata=QUERY.metadata)
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "The language of each hit's `name`."})
    limit = fields.Integer(load_default=finder.DEFAULT_LIMIT, validate=validate.Range(min=1, max=finder.LIMIT_MAX))


class SearchHit(Schema):
    kind = fields.String(required=True, metadata={"enum": list(finder.KINDS)})
    key = fields.String(required=True, metadata={"description": "A country code, a substance key or a product key."})
    name = fields.String(required=True, metadata={"description": "The item's name in `lang` (a product's label)."})
    matched = fields.String(required=True, metadata={"description": "The name of the item that matched the query, as written in the reference data."})
    match = fields.String(required=True, metadata={"enum": list(finder.MATCHES), "description": "How the query met the name; hits rank in this order."})
    score = fields.Float(required=True, metadata={"minimum": 0, "maximum": 100})
    url = fields.String(required=True, metadata={"description": "The item in the API."})


class SearchResults(Schema):
    query = fields.String(required=True, metadata={"description": "The query as compared: case-folded, accents and punctuation dropped."})
    hits = fields.List(fields.Nested(SearchHit), required=True, metadata={"description": "Best first, one per item."})
    did_you_mean = fields.List(fields.Nested(SearchHit), required=True, metadata={
        "description": "When no name matches exactly: the best hits that begin like the query or are spelt close to it; else empty."})


ITEM_VIEWS = {"country": ("api.CountryView", "country"), "substance": ("api.SubstanceView", "key"), "product": ("api.ProductView", "key")}


def hit_resource(hit: finder.Hit, lang: str) -> dict:
    view, argument = ITEM_VIEWS[hit.kind]
    return {**hit.as_json(lang), "url": absolute(url_for(view, **{argument: hit.key}))}


@bp.route("/search")
class SearchView(MethodView):
    @bp.arguments(SearchQuery, location="query", as_kwargs=True)
    @bp.response(200, SearchResults)
    @answers(422)
    def get(self, q, lang, limit):
        """Countries, substances and medicinal products by any of their names, ranked: exact, prefix, word, close spelling, inside."""
        found = finder.search(q, limit=limit)
        return jsonify({
            "query": found.query,
            "hits": [hit_resource(hit, lang) for hit in found.hits],
            "did_you_mean": [hit_resource(hit, lang) for hit in found.did_you_mean],
        })
