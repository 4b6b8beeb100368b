"""Path parameters several routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

Sha = Annotated[str, Path(min_length=64, max_length=64, pattern="^[0-9a-fA-F]{64}$")]
