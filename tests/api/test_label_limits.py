"""Every API field that carries a label takes the contract's limit from ``sebrus.primitives`` (the
limits were once declared three times, with different values)."""

from __future__ import annotations

from typing import Any

from sebrus.api.schemas.items import TypedDataRequest
from sebrus.api.schemas.scans import SeedImage
from sebrus.platform import build_platform
from sebrus.primitives import DATASET_MAX_LABEL_BYTES
from tests.support.platform import cheap_settings


def test_label_bodies_are_bounded_by_the_contracts_label_size() -> None:
    for model in (TypedDataRequest, SeedImage):
        assert model.model_json_schema()["properties"]["label"]["maxLength"] == DATASET_MAX_LABEL_BYTES


def test_label_query_parameters_are_bounded_by_the_contracts_label_size(tmp_path: Any) -> None:
    app, services = build_platform(cheap_settings(tmp_path))
    try:
        paths = app.openapi()["paths"]
    finally:
        services.handle.close()
        app.state.platform.engine.dispose()
    bounds = {
        (path, method): parameter["schema"].get("maxLength")
        or next(s.get("maxLength") for s in parameter["schema"].get("anyOf", []) if s.get("type") == "string")
        for path, operations in paths.items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "label" and parameter["in"] == "query"
    }
    assert ("/api/dataset/{dataset_id}/items", "post") in bounds
    assert set(bounds.values()) == {DATASET_MAX_LABEL_BYTES}, bounds
