"""The exports as researchers and mirrors use them (docs/api.md, "Exports")."""
import csv
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from registry import reference
from registry.exports import bundle as export_bundle, files as export_files, tables as export_tables
from registry.db import utcnow
from registry.db import db
from registry.models import Account, ApiToken

from ..helpers import factories
from ..helpers.exports import FEB_1, JAN_10, JAN_20, Publisher, assert_same_export, validator

GENESIS = "0" * 64


@pytest.fixture(autouse=True)
def export_cache(app, tmp_path):
    """Each test keeps its built exports to itself."""
    app.config["REGISTRY_EXPORTS_DIR"] = str(tmp_path / "exports-cache")


@pytest.fixture
def publisher(app):
    return Publisher(app)


@pytest.fixture
def published(publisher):
    """FR requirements v1 (10 Jan) and v2 (1 Feb), DE import-bans (20 Jan, confirmed 25 Jan), FR authorities withdrawn."""
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=30), JAN_10)
    publisher.publish("FR", "authorities", factories.authorities(), JAN_10 + timedelta(hours=1))
    publisher.publish("DE", "import-bans", factories.import_bans(), JAN_20)
    publisher.confirm("DE", "import-bans", datetime(2026, 1, 25, 8, 0))
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=60), FEB_1)
    publisher.publish("FR", "authorities", None, FEB_1 + timedelta(hours=2))
    return publisher


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def lines(response) -> list[dict]:
    return [json.loads(line) for line in response.data.decode("utf-8").splitlines()]


def unzip(data: bytes, directory):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(directory)
        return archive.namelist()


def test_registry_json_gives_every_country_with_the_api_s_shapes(client, published):
    response = client.get("/exports/registry.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.json
    validator("registry").validate(body)
    assert len(body["countries"]) == 249
    assert body["countries"]["JP"] == {"names": body["countries"]["JP"]["names"], "requirements": None, "authorities": None, "import-bans": None}
    france = body["countries"]["FR"]
    api = client.get("/api/v1/countries/FR/requirements").json
    assert {key: france["requirements"][key] for key in ("meta", "document")} == api
    assert france["requirements"]["meta"]["version"] == 2
    assert france["authorities"]["meta"]["withdrawn"] is True and france["authorities"]["document"] is None
    assert body["countries"]["DE"]["import-bans"]["last_confirmed"] == "2026-01-25T08:00:00Z"
    assert (body["format_version"], body["as_of"], body["last_seq"], body["demo"]) == ("1", None, 5, False)
    assert body["hash"] == client.get("/api/v1/changes?after=4").json["changes"][0]["meta"]["hash"]


def test_as_of_a_day_between_two_publications_gives_the_earlier_version(client, published):
    body = client.get("/exports/registry.json?as_of=2026-01-20").json
    validator("registry").validate(body)
    assert body["as_of"] == "2026-01-20" and body["last_seq"] == 3
    france = body["countries"]["FR"]
    assert france["requirements"]["meta"]["version"] == 1
    assert france["requirements"]["document"]["max_supply_days"] == 30
    assert france["authorities"]["meta"]["withdrawn"] is False
    # Published at 23:59:59 on the 20th: still that day's state; confirmed only on the 25th.
    assert body["countries"]["DE"]["import-bans"]["last_confirmed"] == "2026-01-20T23:59:59Z"
    assert body["hash"] == client.get("/api/v1/changes?after=2&limit=1").json["changes"][0]["meta"]["hash"]


def test_as_of_a_day_before_the_first_publication_says_nothing_was_notified(client, published):
    body = client.get("/exports/registry.json?as_of=2026-01-09").json
    validator("registry").validate(body)
    assert (body["last_seq"], body["hash"]) == (0, GENESIS)
    assert all(entry[section] is None for entry in body["countries"].values() for section in ("requirements", "authorities", "import-bans"))


def test_as_of_later_than_every_publication_is_the_current_state_but_for_its_header(client, published):
    now = client.get("/exports/registry.json").json
    today = client.get(f"/exports/registry.json?as_of={utcnow().date()}").json
    assert today["countries"] == now["countries"]
    assert (today["last_seq"], today["hash"]) == (now["last_seq"], now["hash"])


@pytest.mark.parametrize("as_of", ["2026-13-01", "2026-02-30", "yesterday", "20260101", "2026-1-1", "", str(date.today() + timedelta(days=2))])
def test_a_bad_as_of_is_400_in_json_naming_the_parameter(client, as_of):
    response = client.get("/exports/registry.json", query_string={"as_of": as_of})
    assert response.status_code == 400
    assert "as_of" in response.json["message"]


def test_changes_jsonl_gives_every_version_as_the_api_does_in_seq_order(client, published):
    response = client.get("/exports/changes.jsonl")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    versions = lines(response)
    assert versions == client.get("/api/v1/changes").json["changes"]
    assert [item["meta"]["seq"] for item in versions] == [1, 2, 3, 4, 5]
    for item in versions:
        validator("change").validate(item)
    assert response.headers["Registry-Last-Seq"] == "5"
    assert response.headers["Registry-Hash"] == versions[-1]["meta"]["hash"]
    assert response.headers["Registry-Format-Version"] == "1"
    assert response.headers["Registry-Demo"] == "false"
    # Canonical JSON: exactly the form the hash chain is computed on.
    assert response.data.decode("utf-8").splitlines() == [canonical(item) for item in versions]


def test_changes_jsonl_after_a_seq_gives_only_the_later_versions(client, published):
    assert [item["meta"]["seq"] for item in lines(client.get("/exports/changes.jsonl?after=3"))] == [4, 5]
    empty = client.get("/exports/changes.jsonl?after=5")
    assert empty.status_code == 200 and empty.data == b""


@pytest.mark.parametrize("after", ["-1", "x", "1.5", "9" * 30])
def test_a_bad_after_is_400_in_json(client, after):
    response = client.get(f"/exports/changes.jsonl?after={after}")
    assert response.status_code == 400
    assert "after" in response.json["message"]


def test_a_publication_during_a_download_does_not_change_what_is_downloaded(client, published):
    response = client.get("/exports/changes.jsonl", buffered=False)
    published.publish("IT", "requirements", factories.requirements(), FEB_1 + timedelta(days=1))
    body = response.get_data()
    response.close()
    assert [json.loads(line)["meta"]["seq"] for line in body.decode().splitlines()] == [1, 2, 3, 4, 5]
    assert response.headers["Registry-Last-Seq"] == "5"


GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def test_the_whole_history_goes_gzip_compressed_to_a_client_that_accepts_it(client, published):
    plain = client.get("/exports/changes.jsonl")
    packed = client.get("/exports/changes.jsonl", headers=GZIP)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert "Content-Encoding" not in plain.headers
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    # Two representations, two strong tags (RFC 9110 §8.8.3), named as Flask-Compress names them.
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.headers["Registry-Last-Seq"] == "5" and response.headers["Accept-Ranges"] == "bytes"


def test_each_form_of_the_whole_history_is_answered_304_only_for_its_own_tag(client, published):
    plain_tag = client.get("/exports/changes.jsonl").headers["ETag"]
    packed_tag = client.get("/exports/changes.jsonl", headers=GZIP).headers["ETag"]
    assert client.get("/exports/changes.jsonl", headers={**GZIP, "If-None-Match": packed_tag}).status_code == 304
    assert client.get("/exports/changes.jsonl", headers={"If-None-Match": plain_tag}).status_code == 304
    assert client.get("/exports/changes.jsonl", headers={"If-None-Match": packed_tag}).status_code == 200
    assert client.get("/exports/changes.jsonl", headers={**GZIP, "If-None-Match": plain_tag}).status_code == 200


def test_versions_after_a_seq_go_uncompressed_whatever_the_client_accepts(client, published):
    response = client.get("/exports/changes.jsonl?after=3", headers=GZIP)
    assert "Content-Encoding" not in response.headers
    assert [item["meta"]["seq"] for item in lines(response)] == [4, 5]


@pytest.mark.parametrize("headers", [{}, GZIP], ids=["plain", "gzip"])
def test_a_download_of_the_whole_history_resumes_from_a_byte_range(client, published, headers):
    whole = client.get("/exports/changes.jsonl", headers=headers)
    rest = client.get("/exports/changes.jsonl", headers={**headers, "Range": "bytes=100-", "If-Range": whole.headers["ETag"]})
    assert rest.status_code == 206
    assert rest.headers["Content-Range"] == f"bytes 100-{len(whole.data) - 1}/{len(whole.data)}"
    assert whole.data[:100] + rest.data == whole.data


def test_the_compressed_history_is_made_once_with_the_plain_file_and_kept_beside_it(app, client, published):
    client.get("/exports/changes.jsonl")
    kept = {path.name.split(".", 1)[1]: path for path in Path(app.config["REGISTRY_EXPORTS_DIR"]).iterdir()}
    assert {"changes.jsonl", "changes.jsonl.gz", "changes.offsets"} <= set(kept)
    made = kept["changes.jsonl.gz"].stat().st_mtime_ns
    assert gzip.decompress(client.get("/exports/changes.jsonl", headers=GZIP).data) == kept["changes.jsonl"].read_bytes()
    assert kept["changes.jsonl.gz"].stat().st_mtime_ns == made


def test_a_plain_file_kept_without_its_compressed_form_gets_one(app, client, published):
    plain = client.get("/exports/changes.jsonl").data
    [packed] = Path(app.config["REGISTRY_EXPORTS_DIR"]).glob("*.changes.jsonl.gz")
    packed.unlink()  # as a registry that kept its files before they were compressed leaves them
    assert gzip.decompress(client.get("/exports/changes.jsonl", headers=GZIP).data) == plain


EXPORTS = ["/exports/registry.json", "/exports/registry.json?as_of=2026-01-20", "/exports/changes.jsonl",
           "/exports/changes.jsonl?after=2", "/exports/registry.zip", "/exports/index.json"]


@pytest.mark.parametrize("url", EXPORTS)
def test_every_export_answers_304_with_an_empty_body_while_nothing_changed(client, published, url):
    first = client.get(url)
    assert first.status_code == 200
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


@pytest.mark.parametrize("url", [url for url in EXPORTS if "as_of" not in url])
def test_a_publication_changes_every_current_export_s_etag(client, published, url):
    before = client.get(url).headers["ETag"]
    published.publish("IT", "requirements", factories.requirements(), FEB_1 + timedelta(days=1))
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


def test_a_confirmation_changes_registry_json_but_not_changes_jsonl(client, published):
    registry_tag = client.get("/exports/registry.json").headers["ETag"]
    changes_tag = client.get("/exports/changes.jsonl").headers["ETag"]
    published.confirm("FR", "requirements", FEB_1 + timedelta(days=3))
    response = client.get("/exports/registry.json", headers={"If-None-Match": registry_tag})
    assert response.status_code == 200
    assert response.json["countries"]["FR"]["requirements"]["last_confirmed"] == "2026-02-04T00:00:00Z"
    assert client.get("/exports/changes.jsonl", headers={"If-None-Match": changes_tag}).status_code == 304


def test_index_json_lists_the_sizes_and_sha256_of_exactly_what_is_then_downloaded(client, published):
    index = client.get("/exports/index.json").json
    validator("index").validate(index)
    assert (index["last_seq"], index["demo"]) == (5, False)
    assert [item["name"] for item in index["files"]] == ["registry.json", "changes.jsonl", "registry.zip"]
    for item in index["files"]:
        downloaded = client.get(item["url"]).data
        assert len(downloaded) == item["bytes"]
        assert hashlib.sha256(downloaded).hexdigest() == item["sha256"], item["name"]
    assert {item["name"] for item in index["schemas"]} >= {"requirements", "authorities", "import-bans", "registry", "change", "metadata"}
    for item in index["schemas"]:
        assert client.get(item["url"]).status_code == 200


def test_the_bundle_holds_every_file_its_checksums_verify_and_it_matches_the_other_exports(client, published, tmp_path):
    response = client.get("/exports/registry.zip")
    assert response.mimetype == "application/zip"
    names = unzip(response.data, tmp_path / "bundle")
    assert names == list(export_bundle.BUNDLE_FILES)
    bundle = tmp_path / "bundle"
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    metadata = json.loads((bundle / "metadata.json").read_text())
    validator("metadata").validate(metadata)
    assert metadata["counts"]["versions"] == 5 and metadata["counts"]["confirmations"] == 1 and metadata["counts"]["countries"] == 249
    assert (bundle / "registry.json").read_bytes() == client.get("/exports/registry.json").data
    assert (bundle / "changes.jsonl").read_bytes() == client.get("/exports/changes.jsonl").data
    readme = (bundle / "README.md").read_text()
    for table in export_tables.TABLES:
        assert f"### {table.filename}" in readme
        assert all(f"`{column.name}`" in readme for column in table.columns)


def test_the_readme_s_chain_check_verifies_the_bundle(client, published, tmp_path):
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    script = (tmp_path / "README.md").read_text().split("```python\n", 1)[1].split("```", 1)[0]
    ran = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert json.loads((tmp_path / "metadata.json").read_text())["hash"] in ran.stdout


def test_frictionless_validates_the_unpacked_bundle(client, published, tmp_path):
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", "datapackage.json"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert len(report["tasks"]) == len(export_tables.TABLES)


def _read_table(directory, name):
    with (directory / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _value(cell, kind):
    if cell == "":
        return None
    if cell.startswith("'"):  # a text cell that would start like a formula: remove exactly one leading quote
        cell = cell[1:]
    return {"integer": int, "number": json.loads, "boolean": lambda text: text == "true",
            "list": lambda text: text.split(",")}.get(kind, str)(cell)


def _rebuild(directory) -> dict[int, dict]:
    """Every document, put back together from the CSV tables alone."""
    kinds = {table.name: {column.name: column.type for column in table.columns} for table in export_tables.TABLES}
    rows = {table.name: [{name: _value(cell, kinds[table.name][name]) for name, cell in row.items()}
                         for row in _read_table(directory, table.name)] for table in export_tables.TABLES}
    documents = {row["seq"]: None if row["withdrawn"] else {"effective_from": row["effective_from"]} for row in rows["versions"]}
    texts = {}
    for row in rows["texts"]:
        texts.setdefault((row["seq"], row["path"]), {})[row["language"]] = row["text"]

    def text(seq, path):
        return {"text": texts[(seq, path)]} if (seq, path) in texts else {}

    def present(row, *names):
        return {name: row[name] for name in names if row[name] is not None}

    for row in rows["requirements"]:
        seq, document = row["seq"], documents[row["seq"]]
        document.update(present(row, "travellers_allowed", "max_supply_days", "retail_package_exemption", "document_languages",
                                "translation_required", "transit"))
        document["customs"] = {name: row[name] for name in ("declare_on_entry", "endorsement", "show_on_request")}
        document["rules"] = []
        if row["extension_possible"] is not None:
            document["treatment_continuity"] = {"extension_possible": row["extension_possible"]}
            if (seq, "treatment_continuity.how") in texts:
                document["treatment_continuity"]["how"] = texts[(seq, "treatment_continuity.how")]
        for path in ("notes", "transit_notes"):
            if (seq, path) in texts:
                document[path] = texts[(seq, path)]
    for row in rows["rules"]:
        rule = present(row, "applies_to", "documents", "threshold", "threshold_mg", "threshold_days", "permit_lead_days")
        if (row["seq"], f"rules.{row['rule']}.notes") in texts:
            rule["notes"] = texts[(row["seq"], f"rules.{row['rule']}.notes")]
        documents[row["seq"]]["rules"].append(rule)
    for row in rows["supply-exceptions"]:
        item = present(row, "substances", "max_supply_days")
        if (row["seq"], f"supply_exceptions.{row['exception']}.reason") in texts:
            item["reason"] = texts[(row["seq"], f"supply_exceptions.{row['exception']}.reason")]
        documents[row["seq"]].setdefault("supply_exceptions", []).append(item)
    for row in rows["legal-basis"]:
        documents[row["seq"]].setdefault("legal_basis", []).append(present(row, "title", "url", "date"))
    for row in rows["authorities"]:
        item = {"roles": row["roles"], "name": row["name"], **{name: row[name] for name in ("phone", "fax", "email", "website")},
                "address": {"lines": row["address_lines"].split("\n"), "city": row["city"], "postal_code": row["postal_code"],
                            "country": row["address_country"]}}
        item.update(present(row, "languages"))
        if (row["seq"], f"authorities.{row['authority']}.notes") in texts:
            item["notes"] = texts[(row["seq"], f"authorities.{row['authority']}.notes")]
        documents[row["seq"]].setdefault("authorities", []).append(item)
    for row in rows["bans"]:
        item = {name: row[name] for name in ("substance", "since", "region", "special_licence", "reference")}
        if (row["seq"], f"bans.{row['ban']}.notes") in texts:
            item["notes"] = texts[(row["seq"], f"bans.{row['ban']}.notes")]
        documents[row["seq"]].setdefault("bans", []).append(item)
    return documents


def test_the_csv_tables_hold_every_document_in_full(app, runner, client, tmp_path):
    """Put each document back together from the tables: nothing of a document is left out of them."""
    loaded = runner.invoke(args=["demo"])
    assert loaded.exit_code == 0, loaded.output
    publisher = Publisher(app)
    later = utcnow() + timedelta(minutes=1)
    publisher.publish("IT", "requirements", factories.requirements(transit="own-rules", transit_notes={"en": "Carry a certificate."},
                                                                   rules=[{"applies_to": ["morphine"], "documents": ["certificate"],
                                                                           "threshold": "amount", "threshold_mg": 1500.5,
                                                                           "notes": {"en": "Per trip."}}]), later)
    publisher.publish("IT", "import-bans", factories.import_bans(bans=[]), later)
    publisher.publish("IT", "authorities", factories.authorities(), later)
    assert runner.invoke(args=["export", str(tmp_path)]).exit_code == 0
    documents = _rebuild(tmp_path)
    changes = [json.loads(line) for line in (tmp_path / "changes.jsonl").read_text().splitlines()]
    assert len(changes) == len(documents) > 40
    for item in changes:
        # An empty cell stands for null, an absent field or an empty list alike.
        assert _without_empty(documents[item["meta"]["seq"]]) == _without_empty(item["document"]), item["meta"]["seq"]


def test_every_table_of_version_rows_carries_its_country_and_section_beside_seq(app, runner, client, tmp_path):
    """A researcher filters rules.csv or bans.csv by country without joining versions.csv."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    Publisher(app).confirm("FR", "requirements", utcnow() + timedelta(minutes=1))
    assert runner.invoke(args=["export", str(tmp_path)]).exit_code == 0
    where = {row["seq"]: (row["country"], row["section"]) for row in _read_table(tmp_path, "versions")}
    tables = [table for table in export_tables.TABLES if table.columns[0].name == "seq" and table.name != "versions"]
    assert {table.name for table in tables} >= {"requirements", "rules", "bans", "authorities", "texts", "confirmations"}
    for table in tables:
        assert [column.name for column in table.columns[:3]] == ["seq", "country", "section"], table.name
        rows = _read_table(tmp_path, table.name)
        assert rows or table.name in {"supply-exceptions", "legal-basis"}, table.name
        for row in rows:
            assert (row["country"], row["section"]) == where[row["seq"]], (table.name, row)


def _without_empty(value):
    if isinstance(value, dict):
        return {key: _without_empty(item) for key, item in value.items() if item is not None and item != []}
    if isinstance(value, list):
        return [_without_empty(item) for item in value]
    return value


def test_exporting_twice_as_of_one_day_gives_the_same_bytes_but_generated_at(runner, published, tmp_path):
    for directory in ("first", "second"):
        result = runner.invoke(args=["export", str(tmp_path / directory), "--as-of", "2026-01-20"])
        assert result.exit_code == 0, result.output
    assert_same_export(tmp_path / "first", tmp_path / "second")
    metadata = json.loads((tmp_path / "first" / "metadata.json").read_text())
    assert (metadata["as_of"], metadata["last_seq"], metadata["counts"]["versions"]) == ("2026-01-20", 3, 3)


def test_the_same_files_zip_to_the_same_bytes(app, published, tmp_path):
    with app.app_context():
        state = export_files.read_state()
        export_bundle.write_bundle(tmp_path / "files", state)
        export_bundle.write_zip(tmp_path / "files", tmp_path / "one.zip", state)
        export_bundle.write_zip(tmp_path / "files", tmp_path / "two.zip", state)
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 2, 1, 2, 0, 0)}  # the last publication


def test_the_zip_is_built_once_per_state(client, published):
    first, second = client.get("/exports/registry.zip"), client.get("/exports/registry.zip")
    assert first.data == second.data
    assert first.headers["Content-Disposition"].startswith("attachment")


def test_the_export_command_writes_the_bundle_with_a_progress_bar(runner, published, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Exporting versions" in result.stderr
    assert "Exported 5 versions and 1 confirmations" in result.stderr
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(export_bundle.BUNDLE_FILES)
    assert (tmp_path / "out" / "changes.jsonl").read_text().count("\n") == 5


def test_the_export_command_refuses_a_bad_as_of(runner, tmp_path):
    result = runner.invoke(args=["export", str(tmp_path / "out"), "--as-of", "2026-02-30"])
    assert result.exit_code == 2
    assert "--as-of" in result.output and "not a real date" in result.output
    assert not (tmp_path / "out").exists()


def test_an_empty_registry_exports_every_country_with_nothing_notified(client, tmp_path):
    body = client.get("/exports/registry.json").json
    assert (body["last_seq"], body["hash"]) == (0, GENESIS)
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    assert (tmp_path / "changes.jsonl").read_bytes() == b""
    result = subprocess.run([sys.executable, "-m", "frictionless", "validate", "datapackage.json"], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0


def test_demonstration_data_is_marked_in_every_export(runner, client, tmp_path):
    assert runner.invoke(args=["demo"]).exit_code == 0
    current = client.get("/exports/registry.json").json
    validator("registry").validate(current)
    assert current["demo"] is True
    changes = client.get("/exports/changes.jsonl").data.decode("utf-8").splitlines()
    assert changes == [canonical(item) for item in client.get("/api/v1/changes?limit=1000").json["changes"]]
    for line in changes:
        validator("change").validate(json.loads(line))
    assert client.get("/exports/index.json").json["demo"] is True
    assert client.get("/exports/changes.jsonl").headers["Registry-Demo"] == "true"
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["demo"] is True and "Demonstration data" in metadata["demo_note"]


def test_no_password_token_or_account_e_mail_leaves_in_any_export(app, client, runner, authority, tmp_path):
    headers = authority("FR", password="a long enough password")
    secretariat = authority(secretariat=True, password="another long password")
    token = headers["Authorization"].split()[1]
    client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers={**headers, "If-None-Match": "*"})
    client.put("/api/v1/countries/DE/authorities", json=factories.authorities(), headers={**secretariat, "If-None-Match": "*"})
    client.post("/api/v1/countries/FR/requirements/confirm", headers=headers)
    with app.app_context():
        secrets = {row.email for row in db.session.query(Account)} | {row.password_hash for row in db.session.query(Account)}
        secrets |= {row.token_hash for row in db.session.query(ApiToken)}
    secrets |= {token, secretariat["Authorization"].split()[1]}
    assert len(secrets) == 8 and None not in secrets

    exported = {url: client.get(url).data for url in ("/exports/registry.json", "/exports/registry.json?as_of=" + str(utcnow().date()),
                                                      "/exports/changes.jsonl", "/exports/index.json", "/exports/", "/exports/registry.zip")}
    with zipfile.ZipFile(io.BytesIO(exported["/exports/registry.zip"])) as archive:
        exported.update({f"registry.zip:{name}": archive.read(name) for name in archive.namelist()})
    assert runner.invoke(args=["export", str(tmp_path / "cli")]).exit_code == 0
    exported.update({f"export:{path.name}": path.read_bytes() for path in (tmp_path / "cli").iterdir()})
    assert len(exported) == 6 + 2 * len(export_bundle.BUNDLE_FILES)
    for secret in secrets:
        for variant in {secret, secret.lower(), json.dumps(secret)[1:-1]}:
            leaks = [name for name, data in exported.items() if variant.encode("utf-8") in data]
            assert leaks == [], f"a private value appears in {leaks}"


def test_the_exports_page_lists_what_is_on_offer(client, published):
    response = client.get("/exports/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    index = client.get("/exports/index.json").json
    for item in index["files"]:
        assert item["name"] in page and item["sha256"] in page
    assert 'action="/exports/registry.json"' in page and 'name="as_of"' in page
    assert 'rel="alternate" type="application/atom+xml"' in page
    assert client.get("/exports").status_code in (301, 308)


def age(app, seconds: float) -> None:
    """Make every kept export look `seconds` older, as if time had passed since it was made."""
    from registry.exports import cache as export_cache

    with app.app_context():
        for entry in export_cache.root().iterdir():
            moment = entry.stat().st_mtime - seconds
            os.utime(entry, (moment, moment))


def test_exports_built_for_older_states_are_removed(app, client, published):
    from registry.exports import cache as export_cache

    for day in range(5):
        published.publish("IT", "requirements", factories.requirements(max_supply_days=day + 1), FEB_1 + timedelta(days=day + 1))
        assert client.get("/exports/registry.zip").status_code == 200
        age(app, export_cache.IN_USE_S + 1)
    with app.app_context():
        kept = [entry for entry in export_cache.root().iterdir() if entry.is_dir()]
    assert len(kept) == export_cache.KEEP


def test_an_older_states_exports_just_made_are_not_removed_before_their_request_has_read_them(app, client, published):
    """Another worker, on a newer state, may prune while this one's request is still about to open its files."""
    from registry.exports import cache as export_cache

    with app.app_context():
        older = export_cache.bundle(export_files.read_state())
    for day in range(export_cache.KEEP + 1):
        published.publish("IT", "requirements", factories.requirements(max_supply_days=day + 1), FEB_1 + timedelta(days=day + 1))
        assert client.get("/exports/registry.zip").status_code == 200
    assert older.zip.is_file() and older.files()


def _product_from_tables(product: dict, ingredients: list[dict]) -> dict:
    """A product put back together from its row of products.csv and its rows of product-ingredients.csv."""
    return {**product, "ingredients": [{name: value for name, value in row.items() if name not in ("product", "ingredient")}
                                       for row in sorted(ingredients, key=lambda row: row["ingredient"])]}


def test_products_csv_and_product_ingredients_csv_hold_every_product_as_registry_json_and_the_reference_data_do(client, published,
                                                                                                              tmp_path):
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    kinds = {table.name: {column.name: column.type for column in table.columns} for table in export_tables.TABLES}
    rows = {name: [{column: _value(cell, kinds[name][column]) for column, cell in row.items()} for row in _read_table(tmp_path, name)]
            for name in ("products", "product-ingredients")}
    from_tables = [_product_from_tables(row, [item for item in rows["product-ingredients"] if item["product"] == row["key"]])
                   for row in rows["products"]]
    expected = [item.as_json() for item in reference.products().values()]
    assert from_tables == expected
    registry = json.loads((tmp_path / "registry.json").read_text(encoding="utf-8"))
    assert registry["reference_data"] == {"edition": dict(reference.edition()), "products": expected}
    metadata = json.loads((tmp_path / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["counts"]["products"] == len(expected)
    assert metadata["counts"]["product-ingredients"] == sum(len(item["ingredients"]) for item in expected)


def test_a_researcher_finds_every_codeine_product_and_sees_naloxone_as_not_controlled(client, published, tmp_path):
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    ingredients = _read_table(tmp_path, "product-ingredients")
    codeine = {row["product"] for row in ingredients if row["substance"] == "codeine"}
    assert "co-codamol-30-mg-500-mg-tablet" in codeine
    [naloxone] = [row for row in ingredients if row["product"] == "suboxone-8-mg-2-mg-sublingual-tablet" and row["inn"] == "naloxone"]
    assert (naloxone["substance"], naloxone["control"], naloxone["ingredient"]) == ("", "", "1")
    [ritalin] = [row for row in _read_table(tmp_path, "products") if row["key"] == "ritalin-10-mg-tablet"]
    assert ritalin["label"] == "Ritalin 10 mg" and "CH" in ritalin["markets"].split(",") and ritalin["schedule_1961_iii"] == ""


def test_a_nationally_controlled_substance_is_a_substance_row_of_class_national(client, published, tmp_path):
    unzip(client.get("/exports/registry.zip").data, tmp_path)
    substances = {row["key"]: row for row in _read_table(tmp_path, "substances")}
    assert (substances["tramadol"]["schedules"], substances["tramadol"]["control"]) == ("national", "national")
    assert substances["tramadol"]["note"]
    assert (substances["morphine"]["schedules"], substances["morphine"]["control"], substances["morphine"]["note"]) == (
        "1961-I", "international", "")
    [tramal] = [row for row in _read_table(tmp_path, "product-ingredients") if row["product"] == "tramal-50-mg-capsule"]
    assert (tramal["substance"], tramal["control"]) == ("tramadol", "national")


def test_every_product_name_fits_a_list_cell():
    """names is a list cell, joined with ","; a name holding a comma would read back as two."""
    assert not [name for item in reference.products().values() for name in item.names if "," in name]


def test_new_reference_data_gives_every_export_a_new_etag_and_new_files(client, published, monkeypatch):
    before = {url: client.get(url) for url in ("/exports/registry.json", "/exports/registry.zip")}
    fewer = dict(list(reference.products().items())[1:])
    monkeypatch.setattr(reference, "products", lambda: fewer)
    export_files.reference_digest.cache_clear()
    try:
        after = {url: client.get(url, headers={"If-None-Match": response.headers["ETag"]}) for url, response in before.items()}
    finally:
        export_files.reference_digest.cache_clear()
    assert all(response.status_code == 200 for response in after.values())
    assert [item["key"] for item in after["/exports/registry.json"].json["reference_data"]["products"]] == list(fewer)
    assert len(before["/exports/registry.json"].json["reference_data"]["products"]) == len(fewer) + 1
