"""The OpenAPI document: both credentials are security schemes, and every JSON operation names its answer.

Every operation under ``/api`` must declare a 2xx response whose schema is a named model (a ``$ref``),
not an empty or free-form object; only the few that answer files or streams are exempt, and they
must name their media types instead.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from sebrus.api import create_app
from sebrus.config import Settings

# (method, path) of the operations that answer bytes, a page or a stream rather than JSON.
FILE_OPERATIONS = {
    ("get", "/api/dataset/{dataset_id}/items/{content_hash}/image"),
    ("get", "/api/scans/{scan_id}/report.json"),
    ("get", "/api/scans/{scan_id}/report.html"),
    ("get", "/api/dataset/{dataset_id}/audit-log"),
    ("get", "/api/federations/{federation_id}/model"),
}
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(settings: Settings) -> dict[str, Any]:
    """The document of an app with every router, the chain's included (mounting needs no chain)."""
    app: FastAPI = create_app(settings, with_chain=True)
    try:
        return app.openapi()
    finally:
        app.state.platform.engine.dispose()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith("/api")
        for method, operation in item.items()
        if method in METHODS
    ]


def test_bearer_and_cookie_are_security_schemes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearer"]["description"],
    }
    assert schemes["session_cookie"]["type"] == "apiKey"
    assert schemes["session_cookie"]["in"] == "cookie"
    assert schemes["session_cookie"]["name"] == "session"
    # An operation that needs a login offers both, so Swagger UI's Authorize button sends either.
    create = document["paths"]["/api/dataset"]["post"]
    assert {name for requirement in create["security"] for name in requirement} == {
        "bearer",
        "session_cookie",
    }


def test_every_json_operation_declares_a_named_answer(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert len(operations) > 70  # every router is mounted
    missing = []
    for method, path, operation in operations:
        if (method, path) in FILE_OPERATIONS:
            continue
        answers = [
            response
            for code, response in operation["responses"].items()
            if code.startswith("2") and "application/json" in response.get("content", {})
        ]
        schemas = [a["content"]["application/json"].get("schema", {}) for a in answers]
        if not any("$ref" in schema for schema in schemas):
            missing.append(f"{method.upper()} {path}: {schemas}")
    assert not missing, "operations without a response model:\n" + "\n".join(missing)


def test_file_operations_name_their_media_types(document: dict[str, Any]) -> None:
    for method, path in FILE_OPERATIONS:
        content = document["paths"][path][method]["responses"]["200"]["content"]
        assert content, path
        # No operation claims a JSON answer it does not have; report.json is the scanner's own bytes.
        assert "application/json" not in content or path.endswith("report.json"), (path, content)


def test_answers_from_the_shared_layers_are_documented(document: dict[str, Any]) -> None:
    """api/openapi.py derives them from each route's dependencies and the body allowance table."""
    paths = document["paths"]
    # A login is needed: 401 is documented, even on routers that declare no error answers of their own.
    for method, path in (
        ("post", "/api/dataset/{dataset_id}/releases"),
        ("get", "/api/dataset/{dataset_id}/seed"),
    ):
        assert "401" in paths[path][method]["responses"], (method, path)
    # Anonymous requests succeed: "no credentials" is one of the security requirements.
    for method, path in (
        ("get", "/api/dataset/{dataset_id}/audit"),
        ("get", "/api/dataset/{dataset_id}/review/items/{sha256}/votes"),
    ):
        assert paths[path][method]["security"][0] == {}, (method, path)
    # Every body has a documented limit.
    assert "1 MB" in paths["/api/session"]["post"]["responses"]["413"]["description"]
    assert "64 MB" in paths["/api/dataset"]["post"]["responses"]["413"]["description"]
    bodies = [(m, p) for m, p, operation in _operations(document) if "requestBody" in operation]
    assert bodies and all("413" in paths[p][m]["responses"] for m, p in bodies)
    # Ids are bounded where the server stops finding them.
    dataset_id = paths["/api/dataset/{dataset_id}"]["get"]["parameters"][0]
    assert dataset_id["name"] == "dataset_id" and dataset_id["schema"]["maximum"] == 2**53 - 1
