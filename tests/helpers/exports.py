"""What the tests of the exports, the restore and the JSON Schemas share: a publisher at chosen
moments, bundles compared byte for byte, and a validator for the files in schemas/."""
import json
import re
from datetime import datetime

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from registry import accounts, history, publishing
from registry.db import db
from registry.exports import bundle as export_bundle, schemas as json_schemas
from registry.models import Account

JAN_10, JAN_20, FEB_1 = datetime(2026, 1, 10, 9, 0), datetime(2026, 1, 20, 23, 59, 59), datetime(2026, 2, 1, 0, 0)
GENERATED_AT = re.compile(rb'"generated_at": ?"[^"]*"')
SCHEMAS = json_schemas.SCHEMAS_DIR
BASE = "https://registry.test/schemas/"


class Publisher:
    """Publishes and confirms through the publishing service at chosen moments, as the secretariat."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.account_id = accounts.add_account("secretariat@registry.example", country=None, secretariat=True, password=None).id

    def _actor(self):
        return publishing.Actor(db.session.get(Account, self.account_id))

    def publish(self, country, section, document, when):
        with self.app.app_context():
            first = history.current(country, section) is None
            precondition = publishing.Precondition(if_none_match_any=True) if first else publishing.Precondition(if_match=frozenset(["*"]))
            if document is None:
                return publishing.withdraw(self._actor(), country, section, precondition, published_at=when).seq
            return publishing.publish(self._actor(), country, section, document, precondition, published_at=when).seq

    def confirm(self, country, section, when):
        with self.app.app_context():
            publishing.confirm(self._actor(), country, section, confirmed_at=when)


def assert_same_export(first, second) -> None:
    """Byte for byte the same files, but for the moment they were generated (and so the signature of the sums)."""
    for name in export_bundle.SUMMED_FILES + ("SHA256SUMS",):
        one, two = (first / name).read_bytes(), (second / name).read_bytes()
        if name == "SHA256SUMS":
            keep = lambda data: [line for line in data.splitlines() if not line.endswith((b"registry.json", b"metadata.json"))]
            assert keep(one) == keep(two)
        else:
            assert GENERATED_AT.sub(b"", one) == GENERATED_AT.sub(b"", two), name


def validator(name: str) -> Draft202012Validator:
    """A validator for schemas/{name}.schema.json, resolving its references to the other files, checking formats."""
    resources = [
        (BASE + path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012))
        for path in SCHEMAS.glob("*.schema.json")
    ]
    return Draft202012Validator({"$ref": f"{BASE}{name}.schema.json"}, registry=Registry().with_resources(resources),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)
