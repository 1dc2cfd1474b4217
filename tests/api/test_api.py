"""The JSON API as an authority and a reader use it (docs/api.md, "JSON API")."""
import pytest

from registry.models import AuditRecord
from registry.db import db

from ..helpers import factories
from ..helpers.api import put, version_count

SECTIONS = ["requirements", "authorities", "import-bans"]


@pytest.mark.parametrize("section", SECTIONS)
def test_an_authority_publishes_version_1_then_version_2_with_if_match(client, authority, section):
    headers = authority("FR")
    first = put(client, headers, "FR", section, factories.DOCUMENTS[section](), first=True)
    assert first.status_code == 201, first.json
    assert first.json["meta"]["version"] == 1
    assert first.json["meta"]["seq"] == 1
    assert first.json["meta"]["prev_hash"] == "0" * 64
    assert first.headers["ETag"] == f'"{first.json["meta"]["hash"]}"'
    assert first.json["meta"]["published_by"] == "Competent authority of France"

    second = put(client, headers, "FR", section, factories.DOCUMENTS[section](effective_from="2026-06-01"), etag=first.headers["ETag"])
    assert second.status_code == 200, second.json
    assert second.json["meta"]["version"] == 2
    assert second.json["meta"]["prev_hash"] == first.json["meta"]["hash"]
    assert "Effective from changed from 2026-03-01 to 2026-06-01." in second.json["meta"]["changes"]

    current = client.get(f"/api/v1/countries/FR/{section}")
    assert current.status_code == 200
    assert current.json["document"]["effective_from"] == "2026-06-01"
    # The current section's tag: the version's hash, then its confirmation cycle's due date (docs/api.md, "Confirmation cycle").
    assert current.headers["ETag"].startswith(f'"{second.json["meta"]["hash"]}-due-')


def test_a_stale_if_match_is_refused_with_412_and_nothing_is_stored(app, client, authority):
    headers = authority("FR")
    first = put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    put(client, headers, "FR", "requirements", factories.requirements(max_supply_days=60), etag=first.headers["ETag"])

    stale = put(client, headers, "FR", "requirements", factories.requirements(max_supply_days=90), etag=first.headers["ETag"])

    assert stale.status_code == 412
    assert "current version is 2" in stale.json["message"]
    assert version_count(app) == 2
    assert client.get("/api/v1/countries/FR/requirements").json["document"]["max_supply_days"] == 60


def test_if_none_match_star_is_refused_once_a_version_exists(app, client, authority):
    headers = authority("FR")
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    again = put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    assert again.status_code == 412
    assert version_count(app) == 1


def test_a_missing_precondition_is_428(app, client, authority):
    headers = authority("FR")
    assert put(client, headers, "FR", "requirements", factories.requirements()).status_code == 428
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    missing = put(client, headers, "FR", "requirements", factories.requirements())
    assert missing.status_code == 428
    assert "If-Match" in missing.json["message"]
    assert version_count(app) == 1


def test_another_countrys_token_is_403_and_no_token_is_401(app, client, authority):
    german = authority("DE")
    refused = put(client, german, "FR", "requirements", factories.requirements(), first=True)
    assert refused.status_code == 403
    assert refused.json["code"] == 403
    assert put(client, {}, "FR", "requirements", factories.requirements(), first=True).status_code == 401
    bad = put(client, {"Authorization": "Bearer reg_not-a-token"}, "FR", "requirements", factories.requirements(), first=True)
    assert bad.status_code == 401
    assert put(client, {"Authorization": "Basic abc"}, "FR", "requirements", factories.requirements(), first=True).status_code == 401
    assert version_count(app) == 0


def test_a_secretariat_token_writes_any_country(client, authority):
    secretariat = authority(secretariat=True)
    response = put(client, secretariat, "JP", "import-bans", factories.import_bans(), first=True)
    assert response.status_code == 201
    assert response.json["meta"]["published_by"] == "Registry secretariat"


def test_withdrawal_is_a_new_version_with_a_null_document(client, authority):
    headers = authority("FR")
    first = put(client, headers, "FR", "import-bans", factories.import_bans(), first=True)
    assert client.delete("/api/v1/countries/FR/import-bans", headers=headers).status_code == 428
    withdrawn = client.delete("/api/v1/countries/FR/import-bans", headers={**headers, "If-Match": first.headers["ETag"]})
    assert withdrawn.status_code == 200
    assert withdrawn.json["meta"]["withdrawn"] is True
    assert withdrawn.json["document"] is None
    assert withdrawn.json["meta"]["version"] == 2
    assert withdrawn.json["meta"]["changes"] == ["The article 13 import bans section was withdrawn; nothing is in force."]
    assert client.get("/api/v1/substances/methylphenidate").json["banned_by"] == []


def test_confirm_updates_last_confirmed_without_a_new_version(app, client, authority):
    headers = authority("FR")
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    confirmed = client.post("/api/v1/countries/FR/requirements/confirm", headers=headers)
    assert confirmed.status_code == 200
    assert confirmed.json["version"] == 1
    listing = client.get("/api/v1/countries").json["countries"]
    france = next(item for item in listing if item["country"] == "FR")
    assert france["sections"]["requirements"]["last_confirmed"] == confirmed.json["last_confirmed"]
    assert version_count(app) == 1
    assert client.post("/api/v1/countries/FR/authorities/confirm", headers=headers).status_code == 404
    assert client.post("/api/v1/countries/FR/requirements/confirm").status_code == 401


def test_countries_lists_every_country_with_null_where_nothing_was_notified(client, authority):
    put(client, authority("FR"), "FR", "requirements", factories.requirements(), first=True)
    countries = client.get("/api/v1/countries").json["countries"]
    assert len(countries) == 249
    by_code = {item["country"]: item for item in countries}
    assert by_code["FR"]["sections"]["requirements"]["version"] == 1
    assert by_code["FR"]["sections"]["authorities"] is None
    assert by_code["CN"]["names"]["zh"] == "中国"
    assert by_code["DE"]["sections"] == {"requirements": None, "authorities": None, "import-bans": None}


def test_a_country_resource_holds_all_three_sections_and_links_its_feed(client, authority):
    put(client, authority("FR"), "FR", "authorities", factories.authorities(), first=True)
    france = client.get("/api/v1/countries/FR").json
    assert france["current"]["requirements"] is None
    assert france["current"]["authorities"]["document"]["authorities"][0]["phone"] == "+33 1 55 87 30 00"
    assert france["links"]["feed"].endswith("/feeds/countries/FR.atom")


def test_lower_case_codes_redirect_and_unknown_codes_are_404(client):
    moved = client.get("/api/v1/countries/fr")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/api/v1/countries/FR")
    assert client.get("/api/v1/countries/XX").status_code == 404
    missing = client.get("/api/v1/countries/FR/requirements")
    assert missing.status_code == 404
    assert missing.json["message"] == "FR has not notified its requirements."
    assert client.get("/api/v1/countries/FR/passports").status_code == 404


def test_versions_and_one_version_are_readable(client, authority):
    headers = authority("FR")
    first = put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    put(client, headers, "FR", "requirements", factories.requirements(travellers_allowed="restricted"), etag=first.headers["ETag"])
    listing = client.get("/api/v1/countries/FR/requirements/versions").json["versions"]
    assert [item["version"] for item in listing] == [1, 2]
    assert listing[1]["changes"] == ["Travellers allowed changed from yes to restricted."]
    one = client.get("/api/v1/countries/FR/requirements/versions/1")
    assert one.json["document"]["travellers_allowed"] == "yes"
    assert client.get("/api/v1/countries/FR/requirements/versions/9").status_code == 404


def test_a_matching_if_none_match_on_a_read_is_304(client, authority):
    put(client, authority("FR"), "FR", "requirements", factories.requirements(), first=True)
    first = client.get("/api/v1/countries/FR/requirements")
    again = client.get("/api/v1/countries/FR/requirements", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_changes_pages_by_seq_until_next_is_null(client, authority):
    headers = authority("FR")
    etag = put(client, headers, "FR", "requirements", factories.requirements(), first=True).headers["ETag"]
    for days in range(31, 36):
        etag = put(client, headers, "FR", "requirements", factories.requirements(max_supply_days=days), etag=etag).headers["ETag"]
    seen, url = [], "/api/v1/changes?limit=4"
    while url:
        page = client.get(url).json
        seen += [item["meta"]["seq"] for item in page["changes"]]
        url = page["next"]
    assert seen == [1, 2, 3, 4, 5, 6]
    assert client.get("/api/v1/changes?after=5").json["changes"][0]["meta"]["seq"] == 6
    for bad in ("after=abc", "after=-1", "after=99999999999999999999", "limit=0", "limit=5000"):
        refused = client.get(f"/api/v1/changes?{bad}")
        assert refused.status_code == 422
        assert refused.json["errors"]
    assert client.get("/api/v1/countries/FR/requirements/versions/99999999999999999999").status_code == 404


def test_substances_name_the_countries_that_ban_them(client, authority):
    put(client, authority("FR"), "FR", "import-bans", factories.import_bans(), first=True)
    methylphenidate = client.get("/api/v1/substances/methylphenidate").json
    assert methylphenidate["schedules"] == ["1971-II"]
    assert methylphenidate["banned_by"] == ["FR"]
    assert {"annex": "II", "form": None, "amount_mg": 2000, "paragraph": "¶26", "source_spelling": None} in methylphenidate["guideline_amounts"]
    listing = client.get("/api/v1/substances").json["substances"]
    assert any(item["key"] == "diazepam" for item in listing)
    assert client.get("/api/v1/substances/unobtainium").status_code == 404


def test_openapi_describes_every_route(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/api/v1/countries", "/api/v1/countries/{country}/{section}", "/api/v1/changes", "/api/v1/substances/{key}"):
        assert path in paths
    assert set(paths["/api/v1/countries/{country}/{section}"]) >= {"get", "put", "delete"}
    assert "Requirements" in spec["components"]["schemas"]


def test_every_write_and_every_refused_write_is_audited_without_secrets(app, client, authority):
    headers = authority("FR")
    token = headers["Authorization"].split()[1]
    put(client, headers, "FR", "requirements", factories.requirements(), first=True)
    put(client, headers, "FR", "requirements", factories.requirements())  # 428
    put(client, authority("DE"), "FR", "authorities", factories.authorities(), first=True)  # 403
    put(client, headers, "FR", "import-bans", {"effective_from": "nope"}, first=True)  # 422
    client.put("/api/v1/countries/FR/import-bans", data=b"{not json", content_type="application/json", headers={**headers, "If-None-Match": "*"})  # 400
    put(client, {}, "FR", "requirements", factories.requirements(), first=True)  # 401
    with app.app_context():
        records = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
        assert [(record.outcome, record.status) for record in records] == [
            ("ok", 201), ("refused", 428), ("refused", 403), ("refused", 422), ("refused", 400), ("refused", 401)
        ]
        for record in records:
            text = " ".join(str(value) for value in vars(record).values())
            assert token not in text
            assert "officer" not in text  # no e-mail either


def test_errors_are_json_and_carry_security_headers(client):
    response = client.post("/api/v1/countries")
    assert response.status_code == 405
    assert response.json["code"] == 405
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert client.get("/api/v1/nothing-here").json["code"] == 404


def test_a_client_finds_a_substance_by_its_other_names_as_the_pages_do(client):
    lsd = client.get("/api/v1/substances/lysergide").json
    assert lsd["other_names"] == ["LSD", "LSD-25", "lysergic acid diethylamide"]

    substances = client.get("/api/v1/substances").json["substances"]
    by_other_name = [item["key"] for item in substances if any("ecstasy" in name.casefold() for name in item["other_names"])]
    assert by_other_name == ["mdma"]
    assert 'href="/substances/mdma"' in client.get("/search?q=ecstasy").text  # the page finds the same

    diazepam = client.get("/api/v1/substances/diazepam").json
    assert {amount["source_spelling"] for amount in diazepam["guideline_amounts"]} >= {"地西洋(Diazepam)"}
