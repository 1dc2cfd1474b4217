"""Bundles are signed (Ed25519 over SHA256SUMS), so that what the hash chain does not cover cannot be changed unseen."""
import base64
import csv
import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from registry import create_app
from registry.db import dispose_engines
from registry.exports import bundle as export_bundle

REQUIREMENTS = {"effective_from": "2026-03-01", "travellers_allowed": "yes", "rules": [],
                "customs": {"declare_on_entry": True, "endorsement": False, "show_on_request": True}}


@pytest.fixture
def source(app, client, authority, tmp_path):
    """A registry with two versions and a confirmation, signing with a key of its own."""
    app.config["REGISTRY_SIGNING_KEY"] = str(tmp_path / "source-key.pem")
    headers = {**authority("FR"), "Content-Type": "application/json"}
    first = client.put("/api/v1/countries/FR/requirements", json=REQUIREMENTS, headers={**headers, "If-None-Match": "*"})
    client.put("/api/v1/countries/FR/requirements", json={**REQUIREMENTS, "max_supply_days": 30},
               headers={**headers, "If-Match": first.headers["ETag"]})
    assert client.post("/api/v1/countries/FR/requirements/confirm", headers=headers).status_code == 200
    return app


@pytest.fixture
def target(tmp_path):
    """An empty registry on SQLite, with a signing key of its own, to restore into."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'target.sqlite'}",
                      "REGISTRY_SIGNING_KEY": str(tmp_path / "target-key.pem")})
    yield app
    dispose_engines(app)


def export(app, directory: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["export", str(directory)])
    assert result.exit_code == 0, result.output
    return directory


def restore(app, directory: Path, *options: str):
    return app.test_cli_runner().invoke(args=["restore", str(directory), *options])


def public_key(app, tmp_path) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(app.test_client().get("/.well-known/registry-signing-key.pem").data)
    return path


def recompute_sums(directory: Path) -> None:
    sums = "".join(f"{export_bundle.sha256_file(directory / name)}  {name}\n" for name in export_bundle.SUMMED_FILES)
    (directory / "SHA256SUMS").write_text(sums, encoding="ascii")


def versions_in(app) -> int:
    return len(app.test_client().get("/api/v1/changes").get_json()["changes"])


def test_a_bundle_carries_a_signature_that_the_served_public_key_verifies(source, tmp_path):
    bundle = export(source, tmp_path / "bundle")
    answer = source.test_client().get("/.well-known/registry-signing-key.pem")
    assert answer.status_code == 200 and answer.data.startswith(b"-----BEGIN PUBLIC KEY-----")
    key = serialization.load_pem_public_key(answer.data)
    key.verify(base64.b64decode((bundle / "SHA256SUMS.sig").read_bytes()), (bundle / "SHA256SUMS").read_bytes())
    keys = source.test_cli_runner().invoke(args=["keys"])
    assert keys.exit_code == 0 and answer.data.decode() in keys.output


def test_the_zip_holds_the_signature_too(source, tmp_path):
    import zipfile

    zipped = source.test_client().get("/exports/registry.zip").data
    names = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert "SHA256SUMS.sig" in names and "SHA256SUMS" in names


def test_a_signed_bundle_restores_with_the_exporting_registrys_public_key(source, target, tmp_path):
    bundle = export(source, tmp_path / "bundle")
    result = restore(target, bundle, "--public-key", str(public_key(source, tmp_path)))
    assert result.exit_code == 0, result.output
    assert versions_in(target) == 2


@pytest.mark.parametrize("edit", ["confirmations", "metadata", "published_by"])
def test_an_edit_the_chain_does_not_cover_is_refused_by_the_signature(source, target, tmp_path, edit):
    bundle = export(source, tmp_path / "bundle")
    if edit == "confirmations":  # a second confirmation of an existing version: the chain cannot tell
        rows = list(csv.reader(io.StringIO((bundle / "confirmations.csv").read_text(encoding="utf-8"))))
        rows.append([*rows[1][:3], "2026-12-31T00:00:00Z"])  # seq, country, section, confirmed_at
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        (bundle / "confirmations.csv").write_text(out.getvalue(), encoding="utf-8")
    elif edit == "metadata":
        text = (bundle / "metadata.json").read_text(encoding="utf-8")
        (bundle / "metadata.json").write_text(text.replace('"demo": false', '"demo": true'), encoding="utf-8")
    else:
        text = (bundle / "changes.jsonl").read_text(encoding="utf-8")
        (bundle / "changes.jsonl").write_text(text.replace('"published_by":"', '"published_by":"Not '), encoding="utf-8")
    recompute_sums(bundle)

    result = restore(target, bundle, "--public-key", str(public_key(source, tmp_path)))

    assert result.exit_code == 1
    assert "SHA256SUMS.sig does not verify" in result.output
    assert "the database is untouched" in result.output


def test_a_bundle_signed_by_another_registry_is_refused(source, target, tmp_path):
    bundle = export(source, tmp_path / "bundle")
    result = restore(target, bundle)  # checked with the target's own key, not the source's
    assert result.exit_code == 1 and "SHA256SUMS.sig does not verify" in result.output


def test_an_unsigned_bundle_is_refused_unless_asked_for(source, target, tmp_path):
    bundle = export(source, tmp_path / "bundle")
    (bundle / "SHA256SUMS.sig").unlink()
    refused = restore(target, bundle)
    assert refused.exit_code == 1 and "--unsigned" in refused.output
    restored = restore(target, bundle, "--unsigned")
    assert restored.exit_code == 0, restored.output
    assert versions_in(target) == 2


def test_the_signing_key_is_readable_by_its_owner_only(source, tmp_path):
    export(source, tmp_path / "bundle")
    assert (Path(source.config["REGISTRY_SIGNING_KEY"]).stat().st_mode & 0o777) == 0o600
