"""Request bodies for scans and the seed set, and the scan model's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ScanStart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["all", "new-since-last"] = Field(
        default="all",
        description="`all` gives every item a result; `new-since-last` only the items added since the last "
        "finished scan (the detectors still learn from every item).",
    )
    fdr: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="False-discovery rate: at most this share of the flagged items is expected to be clean. "
        "The default operating point (0.05 when neither `fdr` nor `fpr` is given).",
    )
    fpr: float | None = Field(
        default=None,
        gt=0.0,
        le=0.5,
        description="An explicit per-item false-positive rate instead of `fdr`: flags every item whose "
        "calibrated p-value is at most this, whatever the data holds (about this share of a clean set).",
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


class ScanModelOut(BaseModel):
    """Which model the dataset's scans use: the owner's upload, or the reference CNN they train."""

    source: Literal["uploaded", "reference"] = Field(
        description="`uploaded`: the owner's model; `reference`: scans train the reference CNN."
    )
    sha256: str | None = Field(description="The uploaded model's sha256, its key in the blob store.")
    format: str | None = Field(description="`torchscript`, `safetensors`, `state_dict` or `onnx`.")
    size: int | None = Field(description="The model file's size in bytes.")
    name: str | None = Field(description="The file name it was uploaded with (shown only).")
    set_at: datetime | None = Field(description="When the owner set it.")
    n_classes: int = Field(description="Outputs the model must have: one per dataset label.")
    classes: list[str] = Field(description="The dataset's labels, in output order.")
    checked_on: str | None = Field(
        default=None, description="On upload: the dataset's images the model was tried on (none yet: null)."
    )


class ScanModelEnvelope(BaseModel):
    status: str
    scan_model: ScanModelOut
