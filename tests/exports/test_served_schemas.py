"""The JSON Schemas as a researcher uses them: fetched from a running registry, each validating real
documents on its own with a plain 2020-12 validator (no registry of schemas, no resolver, no network)."""
import io
import json
import os
import sys
import urllib.request
import zipfile
from urllib.parse import urlsplit

import jsonschema
import pytest

from registry.json_schemas import SERVED

from ..helpers import factories
from ..helpers.api import put
from ..helpers.servers import free_port, start, stop

CHECK = {"destination": "FR", "departure": "DE", "transit": ["CH"], "days": 14,
         "items": [{"substance": "morphine", "amount_mg": 300, "unit_doses": 30, "form": None, "preparation_class": None}]}


@pytest.fixture
def registry(database_url, client, authority, tmp_path):
    """`registry serve` on a registry where France notified every section (and withdrew one): its base URL."""
    headers = authority("FR")
    for section, build in factories.DOCUMENTS.items():
        put(client, headers, "FR", section, build(), first=True)
    current = client.get("/api/v1/countries/FR/import-bans")
    client.delete("/api/v1/countries/FR/import-bans", headers={**headers, "If-Match": current.headers["ETag"]})
    port = free_port()
    log = tmp_path / "serve.log"
    process = start([sys.executable, "-m", "registry", "serve", "--port", str(port)],
                    {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "schemas-test"}, log, port)
    yield f"http://127.0.0.1:{port}"
    assert "Traceback" not in stop(process, log)


def fetch(url: str, body: dict | None = None) -> bytes:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"} if body is not None else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


def real_documents(base: str) -> dict[str, list]:
    """Documents the registry gives out, by the name of the schema that describes them."""
    bundle = zipfile.ZipFile(io.BytesIO(fetch(base + "/exports/registry.zip")))
    changes = [json.loads(line) for line in fetch(base + "/exports/changes.jsonl").splitlines()]
    return {
        "requirements": [json.loads(fetch(base + "/api/v1/countries/FR/requirements"))["document"]],
        "authorities": [json.loads(fetch(base + "/api/v1/countries/FR/authorities"))["document"]],
        "import-bans": [change["document"] for change in changes if change["document"] and change["meta"]["section"] == "import-bans"],
        "check-request": [CHECK],
        "check-result": [json.loads(fetch(base + "/api/v1/check", CHECK))],
        "product": json.loads(fetch(base + "/exports/registry.json"))["reference_data"]["products"],
        "change": changes,
        "registry": [json.loads(fetch(base + "/exports/registry.json")), json.loads(bundle.read("registry.json"))],
        "metadata": [json.loads(bundle.read("metadata.json"))],
        "index": [json.loads(fetch(base + "/exports/index.json"))],
    }


def test_every_served_schema_validates_real_documents_on_its_own(registry):
    documents = real_documents(registry)
    assert set(documents) == set(SERVED)
    for name in SERVED:
        schema = json.loads(fetch(f"{registry}/schemas/{name}.schema.json"))
        assert urlsplit(schema["$id"]).scheme, name  # an absolute URI
        assert documents[name], name
        for document in documents[name]:
            jsonschema.validate(document, schema)  # was: Unresolvable: change.schema.json#/$defs/country


def test_a_served_schema_still_refuses_what_the_registry_refuses(registry):
    schema = json.loads(fetch(f"{registry}/schemas/change.schema.json"))
    [line] = [json.loads(line) for line in fetch(registry + "/exports/changes.jsonl").splitlines()][:1]
    line["document"]["rules"][0]["applies_to"] = ["unobtainium"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(line, schema)
