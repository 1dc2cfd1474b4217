"""Absolute URLs for feeds, exports and API links."""
from flask import current_app, request


def base_url() -> str:
    """REGISTRY_BASE_URL when set, else the URL the request came in on."""
    return current_app.config.get("REGISTRY_BASE_URL") or request.host_url.rstrip("/")


def absolute(path: str) -> str:
    """An absolute URL for a path of this registry."""
    return base_url() + path
