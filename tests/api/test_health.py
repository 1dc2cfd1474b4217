"""The health check that load balancers poll."""
from registry import create_app


def test_healthz_answers_ok_with_the_head_of_the_chain(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["last_seq"] == 0
    assert "no-store" in response.headers["Cache-Control"]


def test_healthz_is_503_when_the_database_cannot_be_reached(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/registry.sqlite"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["code"] == 503


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(tmp_path):
    from flask import request

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.sqlite", "REGISTRY_PROXY_HOPS": 1})
    seen = {}

    @app.get("/whoami")
    def whoami():
        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen["addr"] == "203.0.113.7"
