"""Path parameters several routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from sebrus.primitives import SHA256_HEX_PATTERN

Sha = Annotated[str, Path(min_length=64, max_length=64, pattern=SHA256_HEX_PATTERN)]
