"""The authority console (/console/): sign-in and its throttling, the section editors, preview, publish,
confirm, withdraw, API tokens (docs/web.md); drafts and their approval (drafts.py); the accounts a country's
administrator or the secretariat manages (people.py), the secretariat's view (secretariat.py), and
questions between countries (questions.py)."""
from . import drafts, people, questions, secretariat  # noqa: F401  (their routes join views.bp)
from .views import bp, register

__all__ = ["bp", "register"]
