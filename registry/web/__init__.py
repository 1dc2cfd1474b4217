"""The public pages: the overview and its map, countries, versions, bans, substances, search,
and the traveller check as a page with its printable certificate (docs/web.md, docs/check-page.md)."""
from . import check, pages

__all__ = ["register"]


def register(app) -> None:
    """Bind the pages and the check page, and tell every page whether demonstration data is loaded."""
    pages.register(app)
    app.register_blueprint(check.bp)
