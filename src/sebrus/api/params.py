"""Path parameters several routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from sebrus.primitives import SHA256_HEX_PATTERN

Sha = Annotated[str, Path(min_length=64, max_length=64, pattern=SHA256_HEX_PATTERN)]
# An item's content hash: the handler refuses any other spelling with a 400 naming the rule; the
# pattern is stated for clients and schemathesis only, so that answer stays as it is.
ItemHash = Annotated[
    str,
    Path(
        description="The item's sha256: 64 lowercase hex digits.",
        json_schema_extra={"pattern": "^[0-9a-f]{64}$"},
    ),
]
