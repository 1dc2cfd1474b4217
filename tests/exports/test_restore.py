"""`registry restore`: an empty database rebuilt from an export bundle, which must verify first."""
import json
import re
from datetime import timedelta

import pytest

from registry.exports import bundle as export_bundle, signing
from registry.db import dispose_engines, utcnow
from registry.db import db
from registry.models import Confirmation, Setting, Version

from ..helpers import factories
from ..helpers.apps import make_app
from ..helpers.exports import FEB_1, JAN_10, Publisher, assert_same_export


@pytest.fixture
def apps(tmp_path):
    """make(url) -> a migrated application on that database; every one is disposed of afterwards."""
    made = []

    def make(url):
        app = make_app(url, REGISTRY_EXPORTS_DIR=str(tmp_path / f"cache-{len(made)}"))
        made.append(app)
        return app

    yield make
    for app in made:
        dispose_engines(app)


@pytest.fixture
def sqlite_url(tmp_path):
    counter = iter(range(100))
    return lambda: f"sqlite:///{tmp_path / f'restored-{next(counter)}.sqlite'}"


def export(app, directory, *args) -> None:
    result = app.test_cli_runner().invoke(args=["export", str(directory), *args])
    assert result.exit_code == 0, result.output


def restore(app, directory):
    return app.test_cli_runner().invoke(args=["restore", str(directory)])


def versions_in(app) -> int:
    with app.app_context():
        return db.session.query(Version).count()


def fill(app):
    """The demonstration data (with a withdrawal and confirmations) and one later publication: 41 versions."""
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    Publisher(app).publish("IT", "import-bans", factories.import_bans(), utcnow() + timedelta(seconds=1))
    return app


@pytest.fixture
def source(app):
    """The suite's database (SQLite or PostgreSQL), filled."""
    return fill(app)


def test_a_bundle_restores_from_sqlite_to_postgresql_and_back_and_exports_the_same(apps, postgres, sqlite_url, tmp_path):
    export(fill(apps(sqlite_url())), tmp_path / "one")
    postgresql = apps(postgres.new())
    restored = restore(postgresql, tmp_path / "one")
    assert restored.exit_code == 0, restored.output
    assert "Restored 41 versions" in restored.output
    export(postgresql, tmp_path / "two")
    assert_same_export(tmp_path / "one", tmp_path / "two")
    verified = postgresql.test_cli_runner().invoke(args=["verify"])
    assert verified.exit_code == 0 and "41 versions" in verified.output

    sqlite = apps(sqlite_url())
    assert restore(sqlite, tmp_path / "two").exit_code == 0
    export(sqlite, tmp_path / "three")
    assert_same_export(tmp_path / "one", tmp_path / "three")
    assert sqlite.test_cli_runner().invoke(args=["verify"]).exit_code == 0


def test_the_restored_registry_answers_like_the_original(source, client, apps, sqlite_url, tmp_path):
    export(source, tmp_path / "bundle")
    copy = apps(sqlite_url())
    assert restore(copy, tmp_path / "bundle").exit_code == 0
    for url in ("/api/v1/countries", "/api/v1/countries/FR", "/api/v1/changes?limit=1000", "/api/v1/substances/methylphenidate"):
        assert copy.test_client().get(url).json == client.get(url).json, url
    with copy.app_context():
        assert db.session.get(Setting, "demo") is not None
        assert db.session.query(Confirmation).count() == 10
        assert all(row.account_id is None for row in db.session.query(Version))


def test_a_bundle_as_of_a_past_day_restores_the_registry_of_that_day(app, apps, sqlite_url, tmp_path):
    publisher = Publisher(app)
    publisher.publish("FR", "requirements", factories.requirements(), JAN_10)
    publisher.confirm("FR", "requirements", JAN_10 + timedelta(days=5))
    publisher.publish("FR", "requirements", factories.requirements(max_supply_days=90), FEB_1)
    export(app, tmp_path / "january", "--as-of", "2026-01-31")
    copy = apps(sqlite_url())
    assert restore(copy, tmp_path / "january").exit_code == 0
    assert versions_in(copy) == 1
    export(copy, tmp_path / "again", "--as-of", "2026-01-31")
    assert_same_export(tmp_path / "january", tmp_path / "again")


def test_a_bundle_with_one_byte_changed_in_changes_jsonl_is_refused_and_the_database_stays_empty(source, apps, sqlite_url, tmp_path):
    export(source, tmp_path / "bundle")
    path = tmp_path / "bundle" / "changes.jsonl"
    data = bytearray(path.read_bytes())
    where = data.index(b'"max_supply_days":30')
    data[where + len(b'"max_supply_days":3')] = ord("9")
    path.write_bytes(bytes(data))
    target = apps(sqlite_url())
    result = restore(target, tmp_path / "bundle")
    assert result.exit_code == 1
    assert "Not restoring, the database is untouched" in result.output
    assert "changes.jsonl does not match its SHA-256" in result.output
    assert versions_in(target) == 0


def test_a_tampered_bundle_with_recomputed_checksums_is_refused_by_the_hash_chain(source, apps, sqlite_url, tmp_path):
    export(source, tmp_path / "bundle")
    bundle = tmp_path / "bundle"
    lines = (bundle / "changes.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    changed = json.loads(lines[4])
    changed["document"] = {**changed["document"], "effective_from": "2020-01-01"} if changed["document"] else {"effective_from": "2020-01-01"}
    lines[4] = json.dumps(changed, ensure_ascii=False) + "\n"
    (bundle / "changes.jsonl").write_text("".join(lines), encoding="utf-8")
    sums = "".join(f"{export_bundle.sha256_file(bundle / name)}  {name}\n" for name in export_bundle.SUMMED_FILES)
    (bundle / "SHA256SUMS").write_text(sums)
    target = apps(sqlite_url())
    result = restore(target, bundle)
    assert result.exit_code == 1
    assert "hash chain of changes.jsonl breaks at seq 5" in result.output
    assert versions_in(target) == 0


@pytest.mark.parametrize("damage,message", [
    (lambda bundle: (bundle / "SHA256SUMS").unlink(), "no SHA256SUMS"),
    (lambda bundle: (bundle / "confirmations.csv").unlink(), "confirmations.csv, which is not a file"),
    (lambda bundle: (bundle / "SHA256SUMS").write_text("not a checksum line\n"), "line 1"),
    (lambda bundle: _rewrite(bundle, "metadata.json", lambda text: text.replace('"format_version": "1"', '"format_version": "2"')),
     "format_version"),
    (lambda bundle: _rewrite(bundle, "metadata.json", lambda text: re.sub(r'"last_seq": \d+', '"last_seq": 7', text)),
     "metadata.json says seq 7"),
    (lambda bundle: _rewrite(bundle, "changes.jsonl", lambda text: "".join(text.splitlines(keepends=True)[:-1])),
     "changes.jsonl ends at seq 40"),
    (lambda bundle: _rewrite(bundle, "confirmations.csv", lambda text: text + "99,FR,requirements,2026-01-01T00:00:00Z\r\n"),
     "confirms seq 99"),
], ids=["no-sums", "missing-file", "bad-sums", "format", "metadata", "truncated", "confirmation"])
def test_a_bundle_that_does_not_verify_is_refused_and_the_database_stays_empty(source, apps, sqlite_url, tmp_path, damage, message):
    export(source, tmp_path / "bundle")
    damage(tmp_path / "bundle")
    target = apps(sqlite_url())
    result = restore(target, tmp_path / "bundle")
    assert result.exit_code == 1
    assert message in result.output
    assert versions_in(target) == 0


def _rewrite(bundle, name, change):
    """Change a file and its line in SHA256SUMS, as someone who knows the format would."""
    path = bundle / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    sums = "".join(f"{export_bundle.sha256_file(bundle / item)}  {item}\n" for item in export_bundle.SUMMED_FILES)
    (bundle / "SHA256SUMS").write_text(sums)


def test_restore_refuses_a_registry_that_already_holds_publications(source, app, apps, sqlite_url, tmp_path):
    export(source, tmp_path / "bundle")
    target = apps(sqlite_url())
    Publisher(target).publish("FR", "requirements", factories.requirements(), utcnow())
    result = restore(target, tmp_path / "bundle")
    assert result.exit_code == 1
    assert "already holds publications" in result.output
    assert versions_in(target) == 1


def test_restore_of_a_directory_that_is_not_a_bundle_says_so(apps, sqlite_url, tmp_path):
    (tmp_path / "empty").mkdir()
    result = restore(apps(sqlite_url()), tmp_path / "empty")
    assert result.exit_code == 1
    assert "not an export bundle" in result.output


def test_restore_of_an_empty_registry_s_bundle_gives_an_empty_registry(app, apps, sqlite_url, tmp_path):
    export(app, tmp_path / "bundle")
    copy = apps(sqlite_url())
    assert restore(copy, tmp_path / "bundle").exit_code == 0
    export(copy, tmp_path / "again")
    assert_same_export(tmp_path / "bundle", tmp_path / "again")



def test_a_restored_registry_gives_the_query_planner_its_statistics(source, apps, backend, sqlite_url, tmp_path, request):
    """After a bulk load the planner must not take the history for empty (docs/performance.md, "Traveller check")."""
    export(source, tmp_path / "bundle")
    target = apps(request.getfixturevalue("postgres").new() if backend == "postgresql" else sqlite_url())
    result = restore(target, tmp_path / "bundle")
    assert result.exit_code == 0, result.output
    assert "query planner" in result.output
    with target.app_context():
        if backend == "postgresql":
            analysed = db.session.execute(db.text(
                "SELECT last_analyze IS NOT NULL AND last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'versions'")).scalar()
        else:
            analysed = db.session.execute(db.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'versions'")).scalar() > 0
    assert analysed



def _without(app, bundle, *names):
    """The bundle without those files, its sums and signature made anew as the registry would have made them."""
    for name in names:
        (bundle / name).unlink()
    sums = "".join(f"{export_bundle.sha256_file(bundle / name)}  {name}\n" for name in export_bundle.SUMMED_FILES
                   if name not in names).encode("ascii")
    (bundle / "SHA256SUMS").write_bytes(sums)
    with app.app_context():
        (bundle / signing.SIGNATURE_FILE).write_bytes(signing.sign(sums))


def test_a_bundle_made_before_the_product_tables_restores(source, apps, sqlite_url, tmp_path):
    """Reference tables are not restored, so a signed bundle without products.csv and product-ingredients.csv
    (as bundles were before them) loads all the same."""
    export(source, tmp_path / "bundle")
    _without(source, tmp_path / "bundle", "products.csv", "product-ingredients.csv")
    target = apps(sqlite_url())
    restored = restore(target, tmp_path / "bundle")
    assert restored.exit_code == 0, restored.output
    assert versions_in(target) == 41


def test_a_signed_bundle_without_a_table_of_the_history_is_refused(source, apps, sqlite_url, tmp_path):
    export(source, tmp_path / "bundle")
    _without(source, tmp_path / "bundle", "rules.csv")
    target = apps(sqlite_url())
    restored = restore(target, tmp_path / "bundle")
    assert restored.exit_code == 1 and "does not list rules.csv" in restored.output
    assert versions_in(target) == 0
