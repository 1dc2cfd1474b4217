"""The `registry` command as an operator uses it."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
import json

import pytest

from registry.db import db
from registry.models import Account, ApiToken, Version

from ..helpers import factories
from ..helpers.servers import free_port


def test_account_add_and_token_add_give_a_token_that_publishes(app, runner, client):
    added = runner.invoke(args=["account", "add", "Officer@FR.example", "--country", "fr", "--password-stdin"], input="a long enough password\n")
    assert added.exit_code == 0, added.output
    token_run = runner.invoke(args=["token", "add", "officer@fr.example", "--name", "laptop"])
    assert token_run.exit_code == 0, token_run.output
    token = token_run.stdout.strip().splitlines()[-1]
    assert token.startswith("reg_") and len(token) >= 43
    response = client.put("/api/v1/countries/FR/requirements", json=factories.requirements(),
                          headers={"Authorization": f"Bearer {token}", "If-None-Match": "*"})
    assert response.status_code == 201
    with app.app_context():
        account = db.session.query(Account).one()
        assert account.country == "FR"
        assert account.password_hash.startswith("$argon2id$")
        stored = db.session.query(ApiToken).one()
        assert token not in stored.token_hash and len(stored.token_hash) == 64


def test_a_revoked_token_no_longer_writes(app, runner, client):
    runner.invoke(args=["account", "add", "officer@de.example", "--country", "DE"])
    token = runner.invoke(args=["token", "add", "officer@de.example"]).stdout.strip().splitlines()[-1]
    with app.app_context():
        token_id = db.session.query(ApiToken).one().id
    assert runner.invoke(args=["token", "revoke", str(token_id)]).exit_code == 0
    response = client.put("/api/v1/countries/DE/requirements", json=factories.requirements(),
                          headers={"Authorization": f"Bearer {token}", "If-None-Match": "*"})
    assert response.status_code == 401


@pytest.mark.parametrize("args,message", [
    (["account", "add", "someone@example.org"], "either for one country"),
    (["account", "add", "someone@example.org", "--country", "FR", "--secretariat"], "either for one country"),
    (["account", "add", "someone@example.org", "--country", "XX"], "not an ISO 3166-1"),
    (["account", "add", "not-an-address", "--secretariat"], "not an e-mail address"),
    (["token", "add", "nobody@example.org"], "no account"),
])
def test_bad_account_commands_say_why_and_exit_1(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert message in result.output


def test_a_short_password_is_refused(runner):
    result = runner.invoke(args=["account", "add", "a@fr.example", "--country", "FR", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output


def test_init_is_safe_to_repeat(runner):
    for _ in range(2):
        result = runner.invoke(args=["init"])
        assert result.exit_code == 0, result.output
        assert "249 countries" in result.output


def test_demo_loads_once_and_is_marked_as_demonstration(app, runner, client):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    with app.app_context():
        count = db.session.query(Version).count()
    assert count >= 40
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "already loaded" in again.output
    with app.app_context():
        assert db.session.query(Version).count() == count
    assert runner.invoke(args=["verify"]).exit_code == 0
    notified = [item for item in client.get("/api/v1/countries").json["countries"] if any(item["sections"].values())]
    assert len(notified) >= 10
    for item in notified:
        requirements = client.get(f"/api/v1/countries/{item['country']}/requirements")
        if requirements.status_code == 200 and requirements.json["document"]:
            assert "Demonstration data" in requirements.json["document"]["notes"]["en"]


def test_demo_is_refused_on_a_registry_with_real_publications(client, authority, runner):
    client.put("/api/v1/countries/FR/requirements", json=factories.requirements(), headers={**authority("FR"), "If-None-Match": "*"})
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "already holds real publications" in result.output


def test_registry_serve_demo_serves_the_api_over_http(database_url, tmp_path):
    """What a newcomer runs first: a real server with demonstration data."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "registry", "serve", "--demo", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/countries", timeout=5) as response:
                    body = json.load(response)
                    server_header = response.headers.get("Server", "")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"the server did not start: {server.communicate(timeout=5)[0].decode()}")
                time.sleep(0.3)
        assert any(item["sections"]["requirements"] for item in body["countries"])
        assert "registry" in server_header  # waitress, not Flask's development server
    finally:
        server.terminate()
        server.wait(10)


def test_registry_serve_on_a_port_in_use_says_so_and_exits_1(database_url, tmp_path):
    """A second `registry serve` on a taken port explains itself instead of printing a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "registry", "serve", "--port", str(port)],
            env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, text=True, cwd=tmp_path, timeout=120,
        )
    assert result.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
