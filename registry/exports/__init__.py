"""The exports for researchers and mirrors: registry.json, changes.jsonl, the bundle and its CSV
tables, the JSON Schemas, reading a bundle back, and the files kept on disk (docs/exports.md)."""
from .views import bp

__all__ = ["bp", "register"]


def register(app) -> None:
    """Serve /exports/ and /schemas/."""
    app.register_blueprint(bp)
