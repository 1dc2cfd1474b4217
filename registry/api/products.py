"""GET /api/v1/products and /api/v1/products/{key}: the medicinal products of the reference data (docs/api.md, "Products")."""
from flask import jsonify
from flask.views import MethodView
from marshmallow import Schema, fields
from werkzeug.exceptions import NotFound

from .. import reference, search as finder
from .search import QUERY
from .views import answers, bp


class ProductsQuery(Schema):
    q = fields.String(validate=QUERY.validate, metadata={
        **QUERY.metadata, "description": "Only the products whose names match this, best first (as /api/v1/search ranks them)."})


class ProductList(Schema):
    products = fields.List(fields.Nested(finder.ProductOut), required=True)


@bp.route("/products")
class ProductsView(MethodView):
    @bp.arguments(ProductsQuery, location="query", as_kwargs=True)
    @bp.response(200, ProductList)
    @answers(422)
    def get(self, q=None):
        """Every medicinal product, by key; or, with q, those whose names match it, best first."""
        return jsonify({"products": [item.as_json() for item in finder.products_matching(q)]})


@bp.route("/products/<string:key>")
class ProductView(MethodView):
    @bp.response(200, finder.ProductOut)
    @answers(404)
    def get(self, key):
        """One medicinal product: its names, markets, form and what one unit contains."""
        found = reference.product(key)
        if found is None:
            raise NotFound(f"{key!r} is not a known product key; GET /api/v1/products?q= finds products by name.")
        return jsonify(found.as_json())
