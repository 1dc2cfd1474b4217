"""The registry of national rules for travellers under treatment with controlled drugs."""
import os
from importlib.metadata import PackageNotFoundError, version

from flask import Flask

try:
    __version__ = version("travellers-registry")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, surfaces."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import config, db as database

    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(uri)

    from .extensions import api, csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    api.init_app(app)
    csrf.init_app(app)

    from . import api as api_surface, cli, errors, feeds, health, security

    with app.app_context():
        api_surface.register(api)
    app.register_blueprint(health.blp)
    feeds.register(app)
    errors.register(app)
    security.register(app)
    cli.register(app)

    from . import check_pages, console, exports_web, i18n, pages

    csrf.exempt(api_surface.blp)
    i18n.register(app)
    pages.register(app)
    console.register(app)
    app.register_blueprint(exports_web.bp)
    app.register_blueprint(check_pages.bp)

    from . import feed_polls

    feed_polls.register(app)  # polls are answered before Flask dispatches them (after feeds.register)
    if app.config["REGISTRY_PROXY_HOPS"]:
        # Behind a reverse proxy: take the client's address and scheme from the
        # X-Forwarded-* headers of that many trusted proxies, never from anyone else.
        # Outermost, so that the feed polls see them too.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["REGISTRY_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
