"""The body allowance table: decided from method and path alone, a small default for everything else."""

from __future__ import annotations

import pytest

from sebrus.http.body_allowances import (
    BODY_ALLOWANCES,
    DEFAULT_BODY_BYTES,
    FORM_FRAMING_BYTES,
    FORM_UPLOAD_BYTES,
    MIB,
    SEED_JSON_BYTES,
    allowance_for,
    describe_bytes,
)
from sebrus.services.datasets import MAX_BYTES_CEILING
from sebrus.services.scans.model import MAX_SCAN_MODEL_BYTES


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/api/session", DEFAULT_BODY_BYTES),
        ("POST", "/api/user", DEFAULT_BODY_BYTES),
        ("POST", "/login", DEFAULT_BODY_BYTES),
        ("POST", "/api/dataset/7/items", MAX_BYTES_CEILING + FORM_FRAMING_BYTES),
        ("PUT", "/api/dataset/7/scan-model", MAX_SCAN_MODEL_BYTES),
        ("POST", "/api/dataset", SEED_JSON_BYTES),
        ("POST", "/api/dataset/", SEED_JSON_BYTES),
        ("POST", "/api/dataset/7/seed", SEED_JSON_BYTES),
        ("POST", "/contribute", FORM_UPLOAD_BYTES),
        ("POST", "/datasets/new", FORM_UPLOAD_BYTES),
        ("POST", "/datasets/7/seed", FORM_UPLOAD_BYTES),
    ],
)
def test_each_route_gets_its_declared_allowance(method: str, path: str, expected: int) -> None:
    assert allowance_for(method, path) == expected


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/dataset/7"),  # same prefix, other route: a JSON edit
        ("PUT", "/api/dataset/7/items"),  # the upload's path, another method
        ("POST", "/api/dataset/7/items/extra"),  # one segment more
        ("POST", "/api/dataset/7/seeds"),  # a near miss
        ("POST", "/contribute/x"),
    ],
)
def test_near_misses_get_the_small_default(method: str, path: str) -> None:
    assert allowance_for(method, path) == DEFAULT_BODY_BYTES


def test_the_default_is_small_and_only_upload_routes_get_more() -> None:
    assert DEFAULT_BODY_BYTES == MIB
    assert all(a.max_bytes > DEFAULT_BODY_BYTES and a.why for a in BODY_ALLOWANCES)
    # Nobody is allowed more than the largest thing a handler goes on to accept.
    assert max(a.max_bytes for a in BODY_ALLOWANCES) <= FORM_UPLOAD_BYTES


def test_limits_are_named_in_megabytes() -> None:
    assert describe_bytes(MIB) == "1 MB"
    assert describe_bytes(256 * MIB) == "256 MB"
    assert describe_bytes(MAX_SCAN_MODEL_BYTES + 64 * 1024) == "128.1 MB"
