"""The registry's version and settings, read from the environment (docs/api.md, "Settings")."""
import os
from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("travellers-registry")
except PackageNotFoundError:  # running from a source tree that was not installed
    VERSION = "0.0.0+source"


def from_environment(instance_path: str) -> dict:
    """Return the settings that the environment overrides, with their defaults."""
    default_db = "sqlite:///" + os.path.join(instance_path, "registry.sqlite")
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY") or os.urandom(32).hex(),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or default_db,
        "REGISTRY_BASE_URL": (os.environ.get("REGISTRY_BASE_URL") or "").rstrip("/") or None,
        "REGISTRY_TAG_AUTHORITY": os.environ.get("REGISTRY_TAG_AUTHORITY") or "registry.example,2026",
        "SESSION_COOKIE_SECURE": os.environ.get("REGISTRY_SECURE_COOKIES", "") == "1",
        "REGISTRY_PROXY_HOPS": int(os.environ.get("REGISTRY_PROXY_HOPS") or 0),
        # Flask (and the feed polls) answer 400 to a Host not in this list; None accepts any Host.
        "TRUSTED_HOSTS": trusted_hosts(os.environ.get("REGISTRY_TRUSTED_HOSTS")),
        "REGISTRY_EXPORTS_DIR": os.environ.get("REGISTRY_EXPORTS_DIR") or None,
        "REGISTRY_SIGNING_KEY": os.environ.get("REGISTRY_SIGNING_KEY") or None,
        # Push (docs/delivery.md, "Settings").
        "REGISTRY_SMTP_URL": os.environ.get("REGISTRY_SMTP_URL") or None,
        "REGISTRY_MAIL_FROM": os.environ.get("REGISTRY_MAIL_FROM") or None,
        "REGISTRY_ALLOW_PRIVATE_CALLBACKS": os.environ.get("REGISTRY_ALLOW_PRIVATE_CALLBACKS", "") == "1",
        # The worker's timings and sizes, when set; registry.delivery.Settings has their defaults.
        **{name: os.environ[name] for name in DELIVERY_SETTINGS if os.environ.get(name)},
    }


DELIVERY_SETTINGS = ("REGISTRY_DELIVERY_RETRY_BASE_S", "REGISTRY_DELIVERY_RETRY_MAX_S", "REGISTRY_DELIVERY_SUSPEND_AFTER_S",
                     "REGISTRY_DELIVERY_TIMEOUT_S", "REGISTRY_DELIVERY_BATCH", "REGISTRY_DELIVERY_POLL_S",
                     "REGISTRY_DELIVERY_THREADS", "REGISTRY_REMINDER_EVERY_S")


def trusted_hosts(value: str | None) -> list[str] | None:
    """REGISTRY_TRUSTED_HOSTS: host names separated by commas (".example.org" also accepts its
    subdomains; a port is ignored); None when unset or empty."""
    names = [name.strip() for name in (value or "").split(",") if name.strip()]
    return names or None


DEFAULTS = {
    # docs/api.md, "Bad input": a body over 1 MiB is answered 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "API_TITLE": "Registry of rules for travellers under treatment",
    "API_VERSION": "v1",
    # 3.1: its schemas are JSON Schema 2020-12, so the request bodies are described by the very
    # schemas served in /schemas/ (registry/json_schemas.py).
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}
