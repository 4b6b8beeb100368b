"""Property-based tests of the published OpenAPI spec against the real platform.

Schemathesis generates requests for every operation in ``/openapi.json`` and sends them through the
ASGI interface of the app that ``build_platform`` builds (embedded chain, relayer and indexer
running, SQLite on a tmp data dir). The property that must hold everywhere: no 5xx, whatever the
input, and every documented response matches its schema.

Requests carry a bearer token, so they reach past the 401s into the handlers. Generated requests
may revoke that token (``DELETE /api/session/me``, ``DELETE /api/auth/tokens/{id}``) or delete
the user (``DELETE /api/user/{id}``); after every such call the test checks the token and signs up
a fresh user if needed, so later examples stay authenticated.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.platform import StartPlatform

EXAMPLES_PER_OPERATION = 20
CHECKS = [not_a_server_error, response_schema_conformance]
PASSWORD = "correct horse battery"


@dataclass
class Fuzzer:
    """The account the generated requests act as; replaced when a request deletes or logs it out."""

    app: FastAPI
    token: str = ""
    _names: Iterator[int] = field(default_factory=itertools.count)

    def sign_up(self) -> None:
        client = TestClient(self.app)
        name = f"fuzzer{next(self._names)}"
        assert client.post("/api/user", json={"username": name, "password": PASSWORD}).status_code == 201
        session = client.post("/api/session", json={"username": name, "password": PASSWORD})
        assert session.status_code == 201, session.text
        self.token = session.json()["session"]["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def still_signed_in(self) -> bool:
        return TestClient(self.app).get("/api/session/me", headers=self.headers).status_code == 200


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def platform_app(start_platform: StartPlatform) -> FastAPI:
    app, _services = start_platform(
        upload_wait_seconds=5,
        # Generated logins fail by the hundred; the throttle (tested in test_sessions.py) would otherwise
        # lock the fuzzer out of signing in again after a generated request logged it out.
        login_max_failures=1_000_000,
    )
    return app


@pytest.fixture(scope="module")
def fuzzer(platform_app: FastAPI) -> Fuzzer:
    """Signed in, owning one dataset (id 1) with one anchored item, so that ids the generator tries hit
    something real as well as nothing."""
    fuzzer = Fuzzer(platform_app)
    fuzzer.sign_up()
    client = TestClient(platform_app)
    created = client.post(
        "/api/dataset",
        json={"datasetName": "fuzzed", "description": "schemathesis", "labels": ["cat", "dog"]},
        headers=fuzzer.headers,
    )
    assert created.status_code == 201, created.text
    dataset_id = created.json()["new_dataset"]["id"]
    uploaded = client.post(
        f"/api/dataset/{dataset_id}/items", params={"label": "cat"}, content=_png(), headers=fuzzer.headers
    )
    assert uploaded.status_code == 201, uploaded.text
    return fuzzer


@pytest.fixture(scope="module")
def api_schema(platform_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", platform_app)


def _operations(api_schema: schemathesis.BaseSchema) -> list[APIOperation]:
    operations = []
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):  # an operation schemathesis cannot read is a failure too
            raise result.err()
        operations.append(result.ok())
    return operations


# Schemathesis's own pytest integration (schema.parametrize on a fixture) breaks on pytest 9, so the
# generated cases are driven with Hypothesis directly, one operation after the other, and every
# failing operation is reported rather than only the first.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_no_request_makes_the_server_fail(
    api_schema: schemathesis.BaseSchema, fuzzer: Fuzzer, mode: GenerationMode
) -> None:
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    operations = _operations(api_schema)
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing case is reported
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            try:
                response = case.call_and_validate(headers=fuzzer.headers, checks=CHECKS)
                answered.setdefault(case.operation.label, set()).add(response.status_code)
            finally:
                if case.method.upper() in {"DELETE", "PUT"} and not fuzzer.still_signed_in():
                    fuzzer.sign_up()

        try:
            check()
        except Unsatisfiable:
            # Only in negative mode: the operation has no input that could be invalid (no parameters
            # or body, or only free-form strings), so there is nothing to send.
            if mode is not GenerationMode.NEGATIVE:
                raise
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The requests got past authentication (only a login with generated credentials is refused)...
    refused = sorted(label for label, codes in answered.items() if 401 in codes)
    assert refused in ([], ["POST /api/session"]), refused
    # ...and, with valid input, into the handlers.
    if mode is GenerationMode.POSITIVE:
        succeeded = [label for label, codes in answered.items() if any(200 <= c < 300 for c in codes)]
        assert len(succeeded) >= 15, sorted(succeeded)


def test_the_spec_covers_the_upload_path(api_schema: schemathesis.BaseSchema) -> None:
    """Guards the fuzzing above against silently losing the contribution endpoints."""
    labels = {operation.label for operation in _operations(api_schema)}
    assert "POST /api/dataset/{dataset_id}/items" in labels
    assert "GET /api/dataset/{dataset_id}/items/{content_hash}/image" in labels


@pytest.mark.parametrize(
    "path",
    [
        "/api/dataset/99999999999999999999",
        "/api/dataset/99999999999999999999/items",
        "/api/session/-99999999999999999999",
    ],
)
def test_ids_beyond_64_bits_are_a_client_error(platform_app: FastAPI, fuzzer: Fuzzer, path: str) -> None:
    """Found by the fuzzing above: SQLite's driver cannot bind such an int and raised OverflowError (500)."""
    answered = TestClient(platform_app).get(path, headers=fuzzer.headers)
    assert answered.status_code == 422, answered.text
    assert "out of range" in answered.json()["status"]
