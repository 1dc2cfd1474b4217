"""Writers racing: one wins, the other is told its ETag is stale; nothing is ever 'locked'."""
import threading

from registry.db import db
from registry.models import Version

from .helpers import factories
from .helpers.api import put


def race(app, requests):
    """Run each request function in its own thread, all released at once; their responses."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, request):
        client = app.test_client()
        barrier.wait()
        results[index] = request(client)

    threads = [threading.Thread(target=run, args=(index, request)) for index, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_writers_with_the_same_etag_exactly_one_succeeds(app, client, authority):
    headers = authority("FR")
    etag = put(client, headers, "FR", "requirements", factories.requirements(), first=True).headers["ETag"]
    for round_ in range(5):
        responses = race(app, [
            lambda c, days=days: put(c, headers, "FR", "requirements", factories.requirements(max_supply_days=days), etag=etag)
            for days in (40 + round_, 50 + round_)
        ])
        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200, 412], [response.json for response in responses]
        etag = next(response.headers["ETag"] for response in responses if response.status_code == 200)
    with app.app_context():
        assert db.session.query(Version).count() == 6


def test_concurrent_writers_to_different_countries_all_succeed_in_one_chain(app, client, authority):
    countries = ["FR", "DE", "JP", "SG", "BR", "ZA", "IN", "AU"]
    tokens = {country: authority(country) for country in countries}
    responses = race(app, [
        lambda c, country=country: put(c, tokens[country], country, "import-bans", factories.import_bans(), first=True)
        for country in countries
    ])
    assert [response.status_code for response in responses] == [201] * len(countries), [r.json for r in responses]
    assert all("locked" not in response.get_data(as_text=True) for response in responses)
    seqs = sorted(response.json["meta"]["seq"] for response in responses)
    assert seqs == list(range(1, len(countries) + 1))
    versions = client.get("/api/v1/changes").json["changes"]
    for previous, item in zip(versions, versions[1:]):
        assert item["meta"]["prev_hash"] == previous["meta"]["hash"]
