"""Builders of valid documents and of accounts, for tests to vary one thing at a time."""
import copy
import itertools

from registry import accounts

_numbers = itertools.count(1)


def requirements(**changes) -> dict:
    """A valid requirements document, with fields replaced by `changes`."""
    document = {
        "effective_from": "2026-03-01",
        "travellers_allowed": "yes",
        "max_supply_days": 30,
        "supply_exceptions": [{"substances": ["phenobarbital"], "max_supply_days": 90, "reason": {"en": "anticonvulsant"}}],
        "retail_package_exemption": True,
        "rules": [
            {"applies_to": ["1961-I", "1961-II"], "documents": ["prescription", "import-permit"], "threshold": "always", "permit_lead_days": 14},
            {"applies_to": ["1971-II", "1971-III"], "documents": ["certificate"], "threshold": "guideline"},
            {"applies_to": ["methylphenidate"], "documents": ["certificate"], "threshold": "amount", "threshold_mg": 1000},
        ],
        "document_languages": ["fr", "en"],
        "translation_required": False,
        "customs": {"declare_on_entry": True, "endorsement": True, "show_on_request": True},
        "transit": "same-as-entry",
        "treatment_continuity": {"extension_possible": True, "how": {"en": "A local physician may prescribe a further supply."}},
        "notes": {"en": "Carry the documents in your hand luggage.", "fr": "Gardez les documents dans le bagage à main."},
        "legal_basis": [{"title": "Arrêté du 2 novembre 2025", "url": "https://example.org/arrete", "date": "2025-11-02"}],
    }
    document.update(copy.deepcopy(changes))
    return document


def authorities(**changes) -> dict:
    document = {
        "effective_from": "2026-03-01",
        "authorities": [
            {
                "roles": ["permits", "certificates"],
                "name": "Agence nationale de démonstration",
                "address": {"lines": ["143 boulevard de l'Exemple"], "city": "Saint-Denis", "postal_code": "93200", "country": "FR"},
                "phone": "+33 1 55 87 30 00",
                "fax": None,
                "email": "stupefiants@example.fr",
                "website": "https://example.fr/voyageurs",
                "languages": ["fr", "en"],
            }
        ],
    }
    document.update(copy.deepcopy(changes))
    return document


def import_bans(**changes) -> dict:
    document = {
        "effective_from": "2026-03-01",
        "bans": [
            {"substance": "methylphenidate", "since": "2019-05-01", "region": None, "special_licence": True,
             "reference": "NAR/CL.4/2019", "notes": {"en": "Imports only under a special licence."}}
        ],
    }
    document.update(copy.deepcopy(changes))
    return document


DOCUMENTS = {"requirements": requirements, "authorities": authorities, "import-bans": import_bans}


def rule(**fields) -> dict:
    """A valid rule of a requirements document, with fields replaced."""
    return {"applies_to": ["1961-I"], "documents": ["prescription"], "threshold": "always", **fields}


def ban(**fields) -> dict:
    """A valid entry of an import-bans document, with fields replaced."""
    return {"substance": "diazepam", "since": "2020-01-01", "region": None, "special_licence": False, **fields}


class AuthorityFactory:
    """authority("FR") or authority(secretariat=True): an Authorization header for a new account's token."""

    def __init__(self, app):
        self.app = app

    def __call__(self, country: str | None = None, *, secretariat: bool = False, password: str | None = None) -> dict:
        with self.app.app_context():
            number = next(_numbers)
            email = f"officer{number}@{(country or 'secretariat').lower()}.example"
            account = accounts.add_account(email, country=country, secretariat=secretariat, password=password)
            _, token = accounts.add_token(account, "test")
        return {"Authorization": f"Bearer {token}"}
