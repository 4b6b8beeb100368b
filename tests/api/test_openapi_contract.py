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
