"""Hosts, proxies, CORS and HSTS (issue 12, "Exports and links").

- REGISTRY_TRUSTED_HOSTS: any other Host is refused with 400, by Flask and by the feed polls
  answered before it; `registry serve` warns when a public address has neither it nor
  REGISTRY_BASE_URL.
- REGISTRY_PROXY_HOPS: the client's address, scheme and host come from the proxies'
  X-Forwarded-* headers alike under `registry serve` (waitress) and gunicorn (ProxyFix).
- CORS: public reads say `Access-Control-Allow-Origin: *`; writes, the check, pages and the
  console never do; preflights are answered for reads only.
- HSTS when the registry knows it is behind HTTPS (REGISTRY_SECURE_COOKIES=1), on every answer.
"""
import json
import os
import sys
import urllib.error
import urllib.request

import pytest

from registry import create_app
from registry.db import db, dispose_engines
from registry.feeds.polls import FeedPolls
from registry.models import AuditRecord

from .helpers.servers import SERVER_HEADERS, free_port, start, stop

STS = "Strict-Transport-Security"
ACAO = "Access-Control-Allow-Origin"


def import_bans() -> dict:
    return {"effective_from": "2026-03-01", "bans": [
        {"substance": "methylphenidate", "since": "2019-05-01", "region": None, "special_licence": True, "reference": None}]}


@pytest.fixture
def published(client, authority):
    """FR's import bans, version 1: something in every feed and export."""
    answer = client.put("/api/v1/countries/FR/import-bans", json=import_bans(), headers={**authority("FR"), "If-None-Match": "*"})
    assert answer.status_code == 201
    return answer


# -- trusted hosts -------------------------------------------------------------------------------------------------


def test_without_a_setting_absolute_links_follow_the_host_header(client, published):
    links = client.get("/api/v1/countries/FR", base_url="http://attacker.example").json["links"]
    assert links["self"] == "http://attacker.example/api/v1/countries/FR"


@pytest.mark.parametrize("path", ["/api/v1/countries/FR", "/countries/FR", "/feeds/changes.atom", "/feeds/countries/FR.atom",
                                  "/exports/index.json", "/healthz", "/console/login"])
@pytest.mark.parametrize("base_url", [None, "https://registry.example.org"])
def test_trusted_hosts_refuse_any_other_host_with_400(app, client, published, path, base_url):
    app.config.update(TRUSTED_HOSTS=["registry.example.org", ".mirror.example"], REGISTRY_BASE_URL=base_url)
    for _ in range(2):  # the second time, a feed is in the process's memory: the poll path must refuse it too
        assert client.get(path, base_url="https://registry.example.org").status_code in (200, 302)
        assert client.get(path, base_url="https://eu.mirror.example").status_code in (200, 302)
        refused = client.get(path, base_url="http://attacker.example")
        assert refused.status_code == 400, (path, refused.status_code)
        assert b"attacker.example" not in refused.data
        assert b"does not answer for the host" in refused.data
    if path.startswith("/api/"):
        assert refused.json["code"] == 400


def test_registry_trusted_hosts_is_read_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("REGISTRY_TRUSTED_HOSTS", " registry.example.org , .mirror.example,")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    try:
        assert app.config["TRUSTED_HOSTS"] == ["registry.example.org", ".mirror.example"]
        client = app.test_client()
        assert client.get("/healthz", base_url="http://registry.example.org:8000").status_code == 200
        assert client.get("/healthz", base_url="http://attacker.example").status_code == 400
    finally:
        dispose_engines(app)
    monkeypatch.setenv("REGISTRY_TRUSTED_HOSTS", "")
    assert create_app({"SQLALCHEMY_DATABASE_URI": database_url}).config["TRUSTED_HOSTS"] is None


@pytest.fixture
def served_with(app, runner, monkeypatch):
    """Run `registry serve` without serving: the arguments waitress would get, and what the command printed."""
    import waitress

    calls = []
    monkeypatch.setattr(waitress, "serve", lambda application, **kwargs: calls.append((application, kwargs)))

    def serve(*args, **settings):
        app.config.update(settings)
        result = runner.invoke(args=["serve", *args])
        assert result.exit_code == 0, result.output
        return calls.pop()[1], result.output
    return serve


WARNING = "neither REGISTRY_BASE_URL nor REGISTRY_TRUSTED_HOSTS"


def test_serve_warns_on_a_public_address_with_neither_base_url_nor_trusted_hosts(served_with):
    assert WARNING in served_with("--host", "0.0.0.0")[1]
    assert WARNING in served_with("--host", "192.0.2.10")[1]
    assert WARNING not in served_with("--host", "0.0.0.0", REGISTRY_BASE_URL="https://registry.example.org")[1]
    assert WARNING not in served_with("--host", "0.0.0.0", REGISTRY_BASE_URL=None, TRUSTED_HOSTS=["registry.example.org"])[1]
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert WARNING not in served_with("--host", loopback, TRUSTED_HOSTS=None)[1]


def test_serve_gives_waitress_the_body_limit_and_the_proxies_to_trust(served_with):
    settings, _ = served_with()
    assert settings["max_request_body_size"] == 1024 * 1024 + 1  # waitress refuses a body of its limit, Flask one over
    assert "trusted_proxy" not in settings and settings["clear_untrusted_proxy_headers"] is True
    settings, _ = served_with(REGISTRY_PROXY_HOPS=2)
    assert (settings["trusted_proxy"], settings["trusted_proxy_count"]) == ("*", 2)
    assert settings["trusted_proxy_headers"] == {"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"}


# -- proxies, under both servers --------------------------------------------------------------------------------------


@pytest.fixture
def server(database_url, tmp_path):
    """server("serve" | "gunicorn", hops) -> base URL of that server on 127.0.0.1, with REGISTRY_PROXY_HOPS=hops."""
    started = []

    def run(kind: str, hops: int) -> str:
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "proxy-test", "REGISTRY_PROXY_HOPS": str(hops)}
        env.pop("REGISTRY_BASE_URL", None)
        env.pop("REGISTRY_TRUSTED_HOSTS", None)
        command = ([sys.executable, "-m", "registry", "serve", "--port", str(port)] if kind == "serve" else
                   [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "registry.wsgi:app"])
        log_path = tmp_path / f"{kind}-{hops}.log"
        started.append((start(command, env, log_path, port), log_path))
        return f"http://127.0.0.1:{port}"

    yield run
    for process, log_path in started:
        assert "Traceback" not in stop(process, log_path)


def call(base: str, method: str, path: str, headers: dict, body: bytes | None = None):
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


FORWARDED = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "registry.example.org"}


def seen_by_the_registry(app, base: str) -> tuple[str, str]:
    """(the absolute link the API builds, the client address an audit record keeps) for a request with FORWARDED."""
    status, body = call(base, "GET", "/api/v1/countries/FR", FORWARDED)
    assert status == 200
    status, _ = call(base, "PUT", "/api/v1/countries/FR/import-bans", {**FORWARDED, "Content-Type": "application/json"},
                     json.dumps(import_bans()).encode())
    assert status == 401
    with app.app_context():
        record = db.session.query(AuditRecord).order_by(AuditRecord.id.desc()).first()
        return json.loads(body)["links"]["self"], record.remote_addr


@pytest.mark.parametrize("kind", ["serve", "gunicorn"])
def test_one_trusted_proxy_gives_the_client_address_scheme_and_host_under_both_servers(app, server, kind):
    link, address = seen_by_the_registry(app, server(kind, 1))

    assert link == "https://registry.example.org/api/v1/countries/FR"
    assert address == "203.0.113.7"  # what the one proxy saw; the client's own X-Forwarded-For is not believed


@pytest.mark.parametrize("kind", ["serve", "gunicorn"])
def test_without_proxy_hops_forwarded_headers_are_not_believed_under_both_servers(app, server, kind):
    base = server(kind, 0)
    link, address = seen_by_the_registry(app, base)

    assert address == "127.0.0.1"
    # gunicorn itself takes X-Forwarded-Proto from 127.0.0.1 (its forwarded_allow_ips), so only the host is compared there.
    assert link.split("://")[1] == f"{base.split('://')[1]}/api/v1/countries/FR"
    if kind == "serve":
        assert link == f"{base}/api/v1/countries/FR"


# -- CORS ----------------------------------------------------------------------------------------------------------------


PUBLIC_READS = ["/api/v1/countries", "/api/v1/countries/FR", "/api/v1/countries/FR/import-bans", "/api/v1/changes",
                "/api/v1/substances/methylphenidate", "/api/v1/openapi.json", "/api/v1/countries/XX",
                "/feeds/changes.atom", "/feeds/countries/FR.atom", "/exports/index.json", "/exports/registry.json",
                "/exports/changes.jsonl", "/schemas/requirements.schema.json", "/healthz"]


@pytest.mark.parametrize("path", PUBLIC_READS)
def test_public_reads_may_be_read_by_any_web_page(client, published, path):
    for answer in (client.get(path), client.head(path)):
        assert answer.status_code in (200, 404), (path, answer.status_code)
        assert answer.headers[ACAO] == "*"
        assert {"ETag", "Last-Modified", "Link"} <= {name.strip() for name in answer.headers["Access-Control-Expose-Headers"].split(",")}


def test_writes_the_check_pages_and_the_console_never_allow_other_origins(client, authority, published):
    officer = authority("FR")
    answers = [
        client.put("/api/v1/countries/FR/import-bans", json=import_bans(), headers={**officer, "If-Match": published.headers["ETag"]}),
        client.put("/api/v1/countries/FR/requirements", json={}, headers={"Origin": "https://elsewhere.example"}),
        client.post("/api/v1/countries/FR/import-bans/confirm", headers=officer),
        client.delete("/api/v1/countries/FR/import-bans", headers=officer),
        client.post("/api/v1/check", json={"destination": "FR", "items": [{"substance": "morphine", "amount_mg": 10}]}),
        client.get("/"), client.get("/countries/FR"), client.get("/console/login"), client.get("/check"),
    ]
    for answer in answers:
        assert ACAO not in answer.headers, answer.request.path
        assert "Access-Control-Allow-Methods" not in answer.headers


def preflight(client, path, method, headers="If-None-Match"):
    return client.options(path, headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": method,
                                         "Access-Control-Request-Headers": headers})


@pytest.mark.parametrize("path", ["/api/v1/countries/FR/import-bans", "/feeds/changes.atom", "/exports/registry.json", "/healthz"])
def test_a_preflight_for_a_public_read_is_answered(client, published, path):
    answer = preflight(client, path, "GET")

    assert answer.status_code in (200, 204)
    assert answer.headers[ACAO] == "*"
    assert set(answer.headers["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert "If-None-Match" in answer.headers["Access-Control-Allow-Headers"]
    assert int(answer.headers["Access-Control-Max-Age"]) > 0


@pytest.mark.parametrize("path, method", [
    ("/api/v1/countries/FR/import-bans", "PUT"), ("/api/v1/countries/FR/import-bans", "DELETE"),
    ("/api/v1/countries/FR/import-bans/confirm", "POST"), ("/api/v1/check", "POST"), ("/console/login", "GET"),
    ("/console/login", "POST"), ("/countries/FR", "GET"),
])
def test_a_preflight_for_a_write_the_check_or_a_page_is_not_allowed(client, path, method):
    answer = preflight(client, path, method, headers="Authorization, Content-Type")

    assert ACAO not in answer.headers and "Access-Control-Allow-Methods" not in answer.headers


# -- the feed polls answered before Flask carry the same headers ---------------------------------------------------------


class Reached:
    """Counts the requests the feed polls passed on to Flask."""

    def __init__(self, app):
        polls = app.wsgi_app
        assert isinstance(polls, FeedPolls)
        self.count, inner = 0, polls.wsgi_app

        def counted(environ, start_response):
            self.count += 1
            return inner(environ, start_response)

        polls.wsgi_app = counted


def same_headers(first, second) -> None:
    assert second.status_code == first.status_code
    mine = sorted((name, value) for name, value in first.headers.items() if name.lower() not in SERVER_HEADERS)
    theirs = sorted((name, value) for name, value in second.headers.items() if name.lower() not in SERVER_HEADERS)
    assert theirs == mine


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.parametrize("path", ["/feeds/changes.atom", "/feeds/countries/FR.atom", "/feeds/sections/import-bans.atom",
                                  "/feeds/substances/methylphenidate.atom"])
def test_a_feed_poll_answered_before_flask_has_the_same_cors_and_hsts_headers(app, client, published, secure, path):
    app.config.update(SESSION_COOKIE_SECURE=secure, TRUSTED_HOSTS=["localhost"])
    reached = Reached(app)
    rendered = client.get(path)
    assert reached.count == 1
    polled, head = client.get(path), client.head(path)
    not_modified = client.get(path, headers={"If-None-Match": rendered.headers["ETag"]})
    assert reached.count == 1  # all three answered from memory
    flask_not_modified = client.get(path + "?flask", headers={"If-None-Match": rendered.headers["ETag"]})
    assert reached.count == 2

    same_headers(rendered, polled)
    same_headers(rendered, head)
    same_headers(flask_not_modified, not_modified)
    for answer in (rendered, polled, not_modified):
        assert answer.headers[ACAO] == "*"
        assert (answer.headers.get(STS) == "max-age=31536000") is secure


# -- HSTS ---------------------------------------------------------------------------------------------------------------------


EVERY_KIND = [("GET", "/"), ("GET", "/countries/fr"), ("GET", "/nothing-here"), ("GET", "/api/v1/countries/FR"),
              ("POST", "/api/v1/countries"), ("GET", "/console/login"), ("GET", "/feeds/changes.atom"),
              ("GET", "/exports/index.json"), ("GET", "/healthz"), ("PUT", "/api/v1/countries/FR/requirements")]


def test_every_answer_says_hsts_when_the_registry_is_behind_https(app, client, published):
    app.config["SESSION_COOKIE_SECURE"] = True
    for method, path in EVERY_KIND:
        assert client.open(path, method=method).headers.get(STS) == "max-age=31536000", path


def test_no_answer_says_hsts_over_plain_http(client, published):
    for method, path in EVERY_KIND:
        assert STS not in client.open(path, method=method).headers, path


def test_registry_secure_cookies_turns_hsts_on(monkeypatch, database_url):
    monkeypatch.setenv("REGISTRY_SECURE_COOKIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    try:
        assert app.test_client().get("/healthz").headers[STS] == "max-age=31536000"
    finally:
        dispose_engines(app)
