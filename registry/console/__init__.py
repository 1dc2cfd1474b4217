"""The authority console (/console/): sign-in and its throttling, the section editors, preview, publish,
confirm, withdraw, and API tokens (docs/web.md)."""
from .views import bp, register

__all__ = ["bp", "register"]
