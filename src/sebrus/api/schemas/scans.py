"""Request bodies for scans and the seed set."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ScanStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["all", "new-since-last"] = Field(
        default="all",
        description="`all` gives every item a result; `new-since-last` only the items added since the last "
        "finished scan (the detectors still learn from every item).",
    )
    fpr: float = Field(
        default=0.05,
        gt=0.0,
        le=0.5,
        description="False-positive rate to flag at, calibrated on the seed set.",
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed for every model and split.")


class SeedImage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1, max_length=128, description="A label from the dataset's set.")
    data: str = Field(min_length=1, description="The image file's bytes in standard base64.")


class SeedAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    images: list[SeedImage] = Field(
        default_factory=list,
        max_length=5000,
        description="Seed files: vetted images, never anchored as items.",
    )
    items: list[str] = Field(
        default_factory=list,
        max_length=5000,
        description="sha256 of existing items the owner vouches for; each keeps its item label.",
    )
