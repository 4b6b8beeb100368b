from __future__ import annotations

from typing import Any

from pydantic import Field

from sebrus.api.schemas.common import ApiModel


class AbiCreate(ApiModel):
    name: str | None = Field(default=None, examples=["Dataset"])
    abi: Any = Field(default=None, description="A JSON list of ABI entries.")


class AbiUpdate(ApiModel):
    name: str | None = None
    abi: Any = None


class AbiOut(ApiModel):
    id: int
    name: str
    abi: list[dict[str, Any]]
    creator_id: int | None


class AbiEnvelope(ApiModel):
    status: str
    abi: AbiOut


class AbiList(ApiModel):
    status: str
    abis: list[AbiOut]
    total: int
    limit: int
    offset: int
