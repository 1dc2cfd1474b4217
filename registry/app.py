"""The application: settings, extensions, and every surface, bound in one visible block."""
import os

from flask import Flask
from flask_compress import Compress
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import api, cli, config, console, db as database, exports, feeds, http, i18n, web

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

migrate = Migrate()
csrf = CSRFProtect()  # every HTML form; the API authenticates with bearer tokens instead
compress = Compress()  # every answer the client accepts compressed; feed polls in registry/feeds/polls.py


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: settings, extensions, surfaces."""
    app = Flask("registry", instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)

    app.config.from_mapping(config.DEFAULTS)
    app.config.from_mapping(config.from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])

    database.db.init_app(app)
    migrate.init_app(app, database.db, directory=MIGRATIONS)
    csrf.init_app(app)
    # Streamed answers go as they are: the exports' large files are sent with the server's
    # file wrapper (sendfile), which compressing them on the fly would defeat.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)

    # What every surface relies on: the section converter, security headers and error
    # answers (before any route is added), the reader's language, the commands.
    http.register(app)
    i18n.register(app)
    cli.register(app)

    # The surfaces.
    api.register(app)
    feeds.register(app)
    exports.register(app)
    web.register(app)
    console.register(app)
    csrf.exempt(api.bp)

    # Feed polls and the API's public reads are answered before Flask dispatches them, from the
    # process's memory, while the registry is unchanged (registry/feeds/polls.py, registry/api/memory.py).
    api.answer_reads_first(app)
    feeds.answer_polls_first(app)
    if app.config["REGISTRY_PROXY_HOPS"]:
        # Behind a reverse proxy: take the client's address and scheme from the
        # X-Forwarded-* headers of that many trusted proxies, never from anyone else.
        # Outermost, so that the feed polls see them too. `registry serve` takes it off and has
        # waitress read the same headers itself (cli.waitress_settings), since waitress removes
        # the X-Forwarded-* headers it was not told to trust before the application sees them.
        hops = app.config["REGISTRY_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
