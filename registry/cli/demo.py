"""Demonstration data: invented notifications for about ten countries (data/demo.json).

They are published through the publishing service like any notification, by
demonstration accounts, and the registry remembers that it holds demonstration
data so that every page and export can say so.
"""
import json
from datetime import timedelta
from pathlib import Path

from .. import accounts, reference
from ..db import utcnow, write_transaction
from ..history import DEMO_SETTING, current, head, is_demo
from ..models import Account, Setting
from ..publishing import Actor, Precondition, confirm, publish, withdraw

DEMO_FILE = Path(__file__).resolve().parents[2] / "data" / "demo.json"
DEMO_DOMAIN = "demo.registry.invalid"  # RFC 2606: can never be a real mailbox


class DemoRefused(RuntimeError):
    """The demonstration data cannot be loaded into this registry."""


def publications() -> list[dict]:
    return json.loads(DEMO_FILE.read_text(encoding="utf-8"))["publications"]


def load(progress=lambda item: None) -> int:
    """Load the demonstration data once; returns how many publications it made (0 when already loaded)."""
    if is_demo():
        return 0
    if head() is not None:
        raise DemoRefused("This registry already holds real publications; demonstration data is loaded only into an empty registry.")
    now = utcnow()
    made = 0
    for item in publications():
        actor = Actor(_demo_account(item["country"]))
        moment = now - timedelta(days=item["days_ago"])
        country, section = item["country"], item["section"]
        if item["action"] == "confirm":
            confirm(actor, country, section, confirmed_at=moment)
        else:
            # The loader is the only writer while it runs, so "whatever is current" is exact.
            first = current(country, section) is None
            precondition = Precondition(if_none_match_any=True) if first else Precondition(if_match=frozenset(["*"]))
            if item["action"] == "publish":
                publish(actor, country, section, item["document"], precondition, published_at=moment)
            else:
                withdraw(actor, country, section, precondition, published_at=moment)
        made += 1
        progress(item)
    with write_transaction() as session:
        session.add(Setting(key=DEMO_SETTING, value="Demonstration data: invented notifications, not any country's actual rules."))
    return made


def _demo_account(country: str) -> Account:
    email = f"{country.lower()}@{DEMO_DOMAIN}"
    account = accounts.find_account(email)
    if account is None:
        name = f"Demonstration authority of {reference.country(country).name('en')}"
        account = accounts.add_account(email, country=country, secretariat=False, password=None, authority_name=name)
    return account
