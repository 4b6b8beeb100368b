"""Schemathesis auth hook for the CLI run in ``tests/api/test_schemathesis.py``: a bearer token that survives
the generated requests that revoke it.

Generated requests may end the fuzzer's session (``DELETE /api/session/{id}``), revoke its token or delete
the account. Schemathesis refetches the token after any 401 and replays the request, and ``get`` logs the
fuzzer in again, signing it up first if its account is gone, so later requests stay authenticated.
The server's URL comes from ``SEBRUS_FUZZ_URL``; load this module with ``SCHEMATHESIS_HOOKS``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import schemathesis

FUZZER = "fuzzer"
PASSWORD = "correct horse battery"


def log_in(client: httpx.Client) -> str:
    """The fuzzer's new bearer token; the account is (re)created when it no longer exists."""
    credentials = {"username": FUZZER, "password": PASSWORD}
    session = client.post("/api/session", json=credentials)
    if session.status_code == 401:
        client.post("/api/user", json=credentials)
        session = client.post("/api/session", json=credentials)
    session.raise_for_status()
    token: str = session.json()["session"]["token"]
    return token


@schemathesis.auth()
class FuzzerBearer:
    def get(self, case: schemathesis.Case, context: Any) -> str:
        with httpx.Client(base_url=os.environ["SEBRUS_FUZZ_URL"]) as client:
            return log_in(client)

    def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
        case.headers["Authorization"] = f"Bearer {data}"  # a Case always has its headers dict
