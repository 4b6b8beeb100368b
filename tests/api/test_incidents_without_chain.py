"""Without a revocation registry, the revocation routes that send transactions answer 503.

``build_platform`` mounts these routes only with a chain; mounted on the plain app, they must still
refuse cleanly rather than fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from sebrus.api.routers import incidents
from tests.support.api import Person

WALLET = "0x" + "ab" * 20


@pytest.fixture(autouse=True)
def incident_routes(app: FastAPI) -> Iterator[None]:
    app.include_router(incidents.router)
    yield


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("", {"contributor": WALLET, "reason": "suspect"}),
        (f"/{WALLET}/clear", {"note": "rescanned"}),
        (f"/{WALLET}/reinstate", {"reason": "false alarm"}),
    ],
    ids=["revoke", "clear", "reinstate"],
)
def test_revocation_changes_need_a_chain(alice: Person, action: str, body: dict[str, str]) -> None:
    answer = alice.post(f"/api/dataset/1/revocations{action}", json=body)
    assert answer.status_code == 503, answer.text
    assert answer.json()["status"] == "This server has no chain attached; revocations are unavailable."
