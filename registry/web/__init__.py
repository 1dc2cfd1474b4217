"""The public pages: the overview and its map, countries, versions, bans, substances, search,
the traveller check as a page with its printable certificate (docs/web.md, docs/check-page.md),
and asking for e-mail alerts (docs/delivery.md)."""
from . import check, pages, subscribe

__all__ = ["register"]


def register(app) -> None:
    """Bind the pages, the check page and the e-mail alert pages, and tell every page whether demonstration data is loaded."""
    pages.register(app)
    app.register_blueprint(check.bp)
    subscribe.register(app)
