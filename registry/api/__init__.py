"""The JSON API (/api/v1, with the traveller check, drafts, its OpenAPI description and reference page) and /healthz."""
from flask_smorest import Api

from . import check, drafts, health, products, reference, search, views  # noqa: F401 (importing check, drafts, products and search adds their routes to bp)
from .check_first import answer_checks_first
from .memory import ApiReads
from .views import bp

__all__ = ["bp", "register", "answer_reads_first"]


class RegistryApi(Api):
    """flask-smorest's Api, without its app-wide JSON error handler: registry/http.py answers
    JSON for the API and HTML for pages."""

    def _register_error_handlers(self):
        pass


openapi = RegistryApi()


def register(app) -> None:
    """Bind the API, its OpenAPI description and reference page, and /healthz."""
    openapi.init_app(app)
    with app.app_context():
        views.describe(openapi)
        openapi.register_blueprint(bp)
    app.register_blueprint(reference.bp)
    app.register_blueprint(health.bp)


def answer_reads_first(app) -> None:
    """Wrap the application so that the API's public reads are answered from memory while the registry is unchanged (memory.py)."""
    app.wsgi_app = ApiReads(app, app.wsgi_app)
    answer_checks_first(app)  # and valid traveller checks, from the snapshot of the current versions (check_first.py)
