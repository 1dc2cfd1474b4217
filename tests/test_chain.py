"""The hash chain: anyone can recompute it, and `registry verify` finds a broken link."""
import hashlib
import json

from sqlalchemy import text

from registry.db import db

from .helpers import factories
from .helpers.api import put


def independent_hash(meta: dict, document) -> str:
    """docs/api.md, "Hash chain", written out again without the registry's code."""
    subject = {key: meta[key] for key in ("country", "section", "version", "seq", "published_at", "withdrawn", "prev_hash")}
    subject["document"] = document
    canonical = json.dumps(subject, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def publish_some(client, authority):
    france, japan = authority("FR"), authority("JP")
    etag = put(client, france, "FR", "requirements", factories.requirements(notes={"zh": "请随身携带处方。"}), first=True).headers["ETag"]
    put(client, japan, "JP", "import-bans", factories.import_bans(), first=True)
    put(client, france, "FR", "requirements", factories.requirements(max_supply_days=60), etag=etag)
    withdrawn = client.get("/api/v1/countries/JP/import-bans").headers["ETag"]
    client.delete("/api/v1/countries/JP/import-bans", headers={**japan, "If-Match": withdrawn})


def test_the_chain_recomputed_from_the_changes_api_matches_the_contract(client, authority):
    publish_some(client, authority)
    previous = "0" * 64
    versions = client.get("/api/v1/changes").json["changes"]
    assert len(versions) == 4
    for item in versions:
        meta = item["meta"]
        assert meta["prev_hash"] == previous
        assert meta["hash"] == independent_hash(meta, item["document"])
        previous = meta["hash"]


def test_verify_passes_on_a_fresh_history(client, authority, runner):
    publish_some(client, authority)
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 0, result.output
    assert "4 versions" in result.output


def test_verify_names_the_first_bad_version_after_a_row_is_altered(app, client, authority, runner):
    publish_some(client, authority)
    with app.app_context():
        db.session.execute(text("UPDATE versions SET document = replace(document, '60', '61') WHERE seq = 3"))
        db.session.commit()
    result = runner.invoke(args=["verify"])
    assert result.exit_code == 1
    assert "seq 3 (FR requirements version 2)" in result.output
