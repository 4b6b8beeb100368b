"""Request bodies for releases."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReleasePublish(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field(default="", max_length=4000, description="What this release is, for people.")
    exclude: dict[str, str] = Field(
        default_factory=dict,
        max_length=10_000,
        description="Approved items to leave out: sha256 -> why. Items of the previous release left out "
        "are listed as removed with this reason.",
    )
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**63 - 1,
        description="The version you expect to publish; a retry with the same version and items returns "
        "the release already published instead of failing.",
    )
