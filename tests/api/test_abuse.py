"""Resource abuse (issue 12): answers and audit records bounded whatever the input, writes without a
token counted rather than stored one row each, and a body over the limit refused before it is read."""
import json
import os
import re
import socket
import sys
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from registry.db import db
from registry.documents import PROBLEMS_SHOWN, bounded_problems
from registry.models import AuditRecord, Version
from registry.publishing import AnonymousRefusals

from ..helpers.servers import free_port, start, stop

SIXTY_THOUSAND_KEYS = json.dumps({f"k{number:05d}": 1 for number in range(60_000)})  # 900 kB
FEW_KB = 10_000


def import_bans(bans=None) -> dict:
    return {"effective_from": "2026-03-01", "bans": bans if bans is not None else [
        {"substance": "methylphenidate", "since": "2019-05-01", "region": None, "special_licence": True, "reference": None}]}


def records(app) -> list[AuditRecord]:
    with app.app_context():
        rows = db.session.query(AuditRecord).order_by(AuditRecord.id).all()
        db.session.expunge_all()
        return rows


# -- error amplification -------------------------------------------------------------------------------------


def test_the_check_answers_sixty_thousand_unknown_fields_in_a_few_kilobytes(client):
    started = time.monotonic()
    answer = client.post("/api/v1/check", data=SIXTY_THOUSAND_KEYS, content_type="application/json")
    elapsed = time.monotonic() - started

    assert answer.status_code == 422
    assert len(answer.data) < FEW_KB, len(answer.data)
    assert "60000 fields" in answer.json["errors"][""][0]
    assert elapsed < 1.0, elapsed  # was 1.3 s (and 6.7 MB); refused before validation now


def test_a_put_of_sixty_thousand_unknown_fields_writes_a_small_audit_record(app, client, authority):
    answer = client.put("/api/v1/countries/FR/requirements", data=SIXTY_THOUSAND_KEYS, content_type="application/json",
                        headers={**authority("FR"), "If-None-Match": "*"})

    assert answer.status_code == 422
    assert len(answer.data) < FEW_KB
    [record] = records(app)
    assert (record.outcome, record.status) == ("refused", 422)
    assert len(record.detail) < FEW_KB, len(record.detail)  # was 5.8 MB


def many_problems(count: int) -> list[dict]:
    """`count` bans, each with unknown fields with long names and a substance that is no substance."""
    return [{"substance": f"unobtainium-{number}" + "x" * 300, "since": "2019-05-01", "special_licence": True,
             **{f"field_{field}_" + "y" * 300: 1 for field in range(8)}} for number in range(count)]


def test_an_answer_names_the_first_problems_by_path_and_counts_the_rest(app, client, authority):
    answer = client.put("/api/v1/countries/FR/import-bans", json=import_bans(many_problems(300)),
                        headers={**authority("FR"), "If-None-Match": "*"})

    assert answer.status_code == 422
    assert len(answer.data) < FEW_KB, len(answer.data)
    body = answer.json
    shown = sum(len(messages) for messages in body["errors"].values())
    assert 0 < shown <= PROBLEMS_SHOWN
    total = int(re.search(r"(\d+) problems", body["message"])[1])  # in all, as the message says
    assert total >= 300 * 9
    assert body["errors_omitted"] == total - shown
    paths = list(body["errors"])
    assert paths == sorted(paths) and paths[0].startswith("bans.0.")
    assert all(len(path) <= 120 for path in paths)
    assert all(len(message) <= 500 for messages in body["errors"].values() for message in messages)

    [record] = records(app)
    detail = json.loads(record.detail)
    assert detail["errors"] == body["errors"] and detail["errors_omitted"] == body["errors_omitted"]
    assert len(record.detail) < FEW_KB


def test_bounded_problems_keeps_few_problems_whole_and_cuts_long_ones():
    few = {"b": ["second"], "a": ["first", "again"]}
    assert bounded_problems(few) == ({"a": ["first", "again"], "b": ["second"]}, 0)
    shown, omitted = bounded_problems({"p" * 1000: ["m" * 10_000]})
    [(path, [message])] = shown.items()
    assert (len(path), len(message), omitted) == (120, 500, 0)
    assert path.endswith("…") and message.endswith("…")
    shown, omitted = bounded_problems({f"f{number:06d}": ["\U0001F48A" * 400] for number in range(100_000)})
    assert len(json.dumps(shown)) <= 8_000 + 200 and omitted == 100_000 - len(shown)


def test_a_list_over_its_length_is_one_problem_not_one_per_item(client, authority):
    answer = client.put("/api/v1/countries/FR/import-bans", json=import_bans([{}] * 90_000),
                        headers={**authority("FR"), "If-None-Match": "*"})

    assert answer.status_code == 422
    assert "errors_omitted" not in answer.json and len(answer.data) < 1_000


# -- writes without a valid token ------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app):
    """The application's count of refused anonymous writes, on a clock the test moves."""
    clock = Clock()
    app.extensions["anonymous_refusals"] = AnonymousRefusals(clock=clock)
    return clock


@contextmanager
def statements(app):
    """Count the SQL statements run in the block."""
    counted = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args, **kwargs: counted.append(1)  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield counted
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def anonymous_put(client, address="198.51.100.7", **headers):
    return client.put("/api/v1/countries/FR/requirements", json={"effective_from": "2026-03-01"},
                      headers={"If-None-Match": "*", **headers}, environ_base={"REMOTE_ADDR": address})


def test_a_flood_of_writes_without_a_token_is_counted_then_refused_429_without_touching_the_database(app, client, clock):
    limit = AnonymousRefusals.LIMIT
    answers = [anonymous_put(client, Authorization="Bearer reg_forged") for _ in range(limit)]
    assert {answer.status_code for answer in answers} == {401}
    with statements(app) as counted:
        throttled = [anonymous_put(client) for _ in range(200)]
    assert {answer.status_code for answer in throttled} == {429}
    assert counted == []  # not even the token was looked up
    assert 1 <= int(throttled[0].headers["Retry-After"]) <= 60
    assert throttled[0].json["code"] == 429 and "try again" in throttled[0].json["message"]

    [first] = records(app)  # one record for the first refusal; the rest only counted
    assert (first.status, first.remote_addr) == (401, "198.51.100.7")

    # Another address is not held up by this one.
    assert anonymous_put(client, "198.51.100.8").status_code == 401

    clock.now += 61  # the minute is over: the next refusal from anyone writes the summary
    assert anonymous_put(client, "198.51.100.8").status_code == 401
    assert anonymous_put(client).status_code == 401
    rows = records(app)
    summaries = [row for row in rows if row.action == "refusals-summary"]
    assert len(summaries) == 1 and summaries[0].remote_addr == "198.51.100.7"
    detail = json.loads(summaries[0].detail)
    assert (detail["refused"], detail["throttled"]) == (limit - 1 + 200, 200)
    assert len(rows) == 5  # first, 198.51.100.8's first, the summary, then each address's first of the new minute


def test_anonymous_refusals_of_every_write_are_counted_alike(app, client, clock):
    for _ in range(AnonymousRefusals.LIMIT):
        assert client.delete("/api/v1/countries/FR/requirements", headers={"If-Match": '"x"'}).status_code == 401
    assert client.post("/api/v1/countries/FR/requirements/confirm").status_code == 429
    assert anonymous_put(client, "127.0.0.1").status_code == 429
    assert len(records(app)) == 1
    # Reads and the check are not writes: never held up.
    assert client.get("/api/v1/countries/FR").status_code == 200
    assert client.post("/api/v1/check", json={"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 10}]}).status_code == 200


def test_refusals_of_a_valid_token_are_each_audited(app, client, clock, authority):
    german = authority("DE")
    for _ in range(AnonymousRefusals.LIMIT + 5):
        assert client.put("/api/v1/countries/FR/import-bans", json=import_bans(),
                          headers={**german, "If-None-Match": "*"}).status_code == 403
    assert len(records(app)) == AnonymousRefusals.LIMIT + 5


def test_3000_writes_without_a_token_make_at_most_two_records(app, client):
    for _ in range(3000):
        assert anonymous_put(client).status_code in (401, 429)
    assert len(records(app)) <= 2
    with app.app_context():
        assert db.session.query(Version).count() == 0


# -- a body over the limit, through the real server -------------------------------------------------------------


@pytest.fixture
def serve(database_url, tmp_path):
    """`registry serve` on 127.0.0.1: its port."""
    port = free_port()
    log = tmp_path / "serve.log"
    process = start([sys.executable, "-m", "registry", "serve", "--port", str(port)],
                    {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "abuse-test"}, log, port)
    yield port
    assert "Traceback" not in stop(process, log)


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 5) -> bytes:
    """Send a request's head and the start of its body; return what the server answered within `timeout`."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except socket.timeout:
            pass
        return answer


def test_registry_serve_refuses_a_body_over_the_limit_before_reading_it(serve):
    started = time.monotonic()
    answer = raw_request(serve, (
        "PUT /api/v1/countries/FR/requirements HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\n"
        "Content-Length: 500000000\n"), body=b"{" + b" " * 1000)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 3


def test_registry_serve_still_hands_a_body_of_exactly_the_limit_to_the_application(serve):
    body = b'{"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 10}]}'
    body += b" " * (1024 * 1024 - len(body))
    answer = raw_request(serve, (
        f"POST /api/v1/check HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: {len(body)}\n"),
        body=body, timeout=30)

    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
