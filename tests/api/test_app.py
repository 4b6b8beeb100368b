from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from sebrus.api import create_app
from sebrus.config import Settings
from sebrus.services.errors import ConfigurationError
from tests.support.api import ResponseLog, assert_error


def test_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] in {"sqlite", "postgresql"}


def test_openapi_lists_prototype_paths(client):
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/user",
        "/api/user/{user_id}",
        "/api/session",
        "/api/session/me",
        "/api/dataset",
        "/api/abi/{abi_ref}",
    ):
        assert path in spec["paths"], path


def test_security_headers_on_success_and_error(client):
    for response in (client.get("/api/health"), client.get("/api/nowhere")):
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_unknown_route_and_method_are_json(client):
    assert_error(client.get("/api/nowhere"), 404, "Not Found")
    assert_error(client.patch("/api/user"), 405, "Method Not Allowed")


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/api/abi", "GET, POST"), ("/api/user/1", "DELETE, GET, PUT"), ("/api/dataset/1", "DELETE, GET, PUT")],
)
def test_a_405_allows_every_method_of_the_path(client: TestClient, path: str, allowed: str) -> None:
    """Each method of a path is its own route; the 405 used to name only the first route's methods."""
    refused = client.options(path)
    assert refused.status_code == 405 and refused.headers["allow"] == allowed


def test_hsts_only_in_production(settings: Settings) -> None:
    assert "strict-transport-security" not in TestClient(create_app(settings)).get("/api/health").headers
    settings.env = "production"
    settings.secret_key = SecretStr("k" * 64)
    app = create_app(settings)
    for response in (TestClient(app).get("/api/health"), TestClient(app).get("/api/nowhere")):
        assert response.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


def test_validation_errors_never_echo_input(client):
    response = client.post(
        "/api/session", json={"username": ["x"], "password": {"secret": "hunter2-hunter2"}}
    )
    assert response.status_code == 422
    assert "hunter2" not in response.text and "`username`" in response.json()["status"]


def test_migrations_run_at_start_on_an_empty_data_dir(tmp_path, settings):
    settings.database_url = None
    settings.data_dir = tmp_path / "fresh"
    app = create_app(settings)
    try:
        assert (tmp_path / "fresh" / "sebrus.db").is_file()
        assert (tmp_path / "fresh" / "secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        app.state.platform.engine.dispose()


@pytest.mark.usefixtures("usual_umask")
def test_the_data_dir_and_what_holds_secrets_are_private(tmp_path, settings):
    """Password hashes, keystores, the server secret and the blobs are for the server's user alone."""
    settings.database_url = None
    settings.data_dir = tmp_path / "older"
    settings.data_dir.mkdir(mode=0o755)  # as an older version left it
    settings.data_dir.chmod(0o755)
    app = create_app(settings)
    try:
        TestClient(app).post("/api/user", json={"username": "alice", "password": "a long password"})
        data = settings.data_dir
        paths = [data, *(data / name for name in ("blobs", "secret.key", "sebrus.db", "sebrus.db-wal"))]
        modes = {path.name: path.stat().st_mode & 0o777 for path in paths}
        assert modes == {
            "older": 0o700,
            "blobs": 0o700,
            "secret.key": 0o600,
            "sebrus.db": 0o600,
            "sebrus.db-wal": 0o600,
        }
    finally:
        app.state.platform.engine.dispose()


def test_production_refuses_to_start_without_secret(settings):
    settings.env = "production"
    with pytest.raises(ConfigurationError, match="SEBRUS_SECRET_KEY"):
        create_app(settings)
    settings.secret_key = SecretStr("short")
    with pytest.raises(ConfigurationError, match="at least 32"):
        create_app(settings)


def test_production_cookie_is_secure_by_default(settings):
    settings.env = "production"
    assert settings.session_cookie_secure is True
    settings.cookie_secure = False
    assert settings.session_cookie_secure is False


def test_response_recorder_catches_leaks():
    """The recorder every API test relies on must itself be able to fail."""
    for body in (
        '{"user": {"password": "x"}}',
        '{"x": "$argon2id$v=19$..."}',
        '{"s": "correct horse battery"}',
    ):
        log = ResponseLog(bodies=[("GET /x", body)])
        with pytest.raises(AssertionError):
            log.assert_no_secrets()
    ResponseLog(bodies=[("GET /x", '{"user": {"id": 1, "username": "a"}}')]).assert_no_secrets()
