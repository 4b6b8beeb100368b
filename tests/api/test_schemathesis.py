"""Property-based tests of the published OpenAPI spec against the real platform: `schemathesis run
--checks all`.

The platform that ``build_platform`` builds (embedded chain, relayer and indexer running, SQLite on a
tmp data dir) is served by uvicorn, and the schemathesis CLI runs its examples, coverage and fuzzing
phases against ``/openapi.json`` with every check: no 5xx; status codes, headers, content types and
bodies as documented; schema-valid requests accepted and invalid ones refused; 405 with a full
``Allow`` for undocumented methods; 401 without credentials where the spec asks for them. The few
operations that refuse well-formed requests by rules the schema cannot state are listed, with the
rule, in ``schemathesis.toml`` beside this file.

Requests carry a bearer token (``tests/support/schemathesis_auth.py``): generated requests may end the
session or delete the account, and schemathesis then logs in again and replays the request, so later
examples stay authenticated. The fuzzer owns dataset 1 with one anchored item, so ids the generator
tries hit something real as well as nothing.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from schemathesis import APIOperation
from schemathesis.core.result import Err

from tests.support.live_server import serving
from tests.support.platform import StartPlatform
from tests.support.schemathesis_auth import log_in

REPOSITORY = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
EXAMPLES_PER_OPERATION = 5  # per generation mode in the fuzzing phase; the coverage phase adds its own
RUN_LIMIT_SECONDS = 540


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
def fuzzer_headers(platform_app: FastAPI) -> dict[str, str]:
    """The fuzzer's bearer header, once it owns dataset 1 with one anchored item."""
    client = TestClient(platform_app)
    headers = {"Authorization": f"Bearer {log_in(client)}"}
    client.cookies.clear()
    created = client.post(
        "/api/dataset",
        json={"datasetName": "fuzzed", "description": "schemathesis", "labels": ["cat", "dog"]},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    dataset_id = created.json()["new_dataset"]["id"]
    uploaded = client.post(
        f"/api/dataset/{dataset_id}/items", params={"label": "cat"}, content=_png(), headers=headers
    )
    assert uploaded.status_code == 201, uploaded.text
    return headers


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


def _refused_by_auth(output: str) -> list[str]:
    """The operations schemathesis reports as answering only 401/403 (its authentication warning)."""
    warning = re.search(r"Authentication failed:.*?\n\n(.*?)(?:\n\n|$)", output, re.S)
    return re.findall(r"^\s+- (.+)$", warning.group(1), re.M) if warning else []


def test_schemathesis_with_all_checks(
    platform_app: FastAPI, fuzzer_headers: dict[str, str], api_schema: schemathesis.BaseSchema, tmp_path: Path
) -> None:
    assert len(_operations(api_schema)) >= 30  # every router is in the spec
    with serving(platform_app) as url:
        env = {
            **os.environ,
            "SEBRUS_FUZZ_URL": url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
        }
        command = [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{url}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "1",
            "--workers",
            "2",
            "--no-shrink",
        ]
        # tmp_path as the working directory: the CLI keeps a cache folder there.
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_SECONDS
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-20_000:]
    # The requests got past authentication: only a login with generated credentials is always refused.
    assert _refused_by_auth(output) in ([], ["POST /api/session"]), output[-5_000:]


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
def test_ids_beyond_64_bits_are_a_client_error(platform_app: FastAPI, path: str) -> None:
    """Found by the fuzzing above: SQLite's driver cannot bind such an int and raised OverflowError (500)."""
    client = TestClient(platform_app)
    headers = {"Authorization": f"Bearer {log_in(client)}"}  # fresh: the fuzzing may have ended others
    client.cookies.clear()
    answered = client.get(path, headers=headers)
    assert answered.status_code == 422, answered.text
    assert "out of range" in answered.json()["status"]
