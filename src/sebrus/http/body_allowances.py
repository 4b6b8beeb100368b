"""How many bytes each request body may carry: one small default, and the few routes that need more.

The allowance is decided from the method and path alone, before a byte of the body is read, so that
an anonymous client cannot make the server hold a large body only to be refused afterwards (a JSON
body is parsed before authentication runs). Routes not listed get ``DEFAULT_BODY_BYTES``; a route
that needs more is added to ``BODY_ALLOWANCES`` here and nowhere else. ``body_limit.py`` enforces it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sebrus.services.datasets import MAX_BYTES_CEILING
from sebrus.services.federation.model import MAX_FINAL_MODEL_BYTES
from sebrus.services.scans.model import MAX_SCAN_MODEL_BYTES

MIB = 1024 * 1024
DEFAULT_BODY_BYTES = 1 * MIB
# A web form that carries image files (Contribute, Create a dataset with seed images, Add seed images).
FORM_UPLOAD_BYTES = 256 * MIB
# A JSON body with base64 seed images (about 48 MB of images); larger seed sets go in several requests.
SEED_JSON_BYTES = 64 * MIB
# Many images in one multipart request; the handler applies SEBRUS_BULK_UPLOAD_MAX_BYTES (at most this).
BULK_UPLOAD_BYTES = 256 * MIB
# Above /rpc's own limit, so that its refusal (a JSON-RPC error object) is the one a client sees.
RPC_ENVELOPE_BYTES = 2 * MIB
# One federated round: 4096 participants with a signed loss report each (about 300 bytes apiece).
FEDERATION_ROUND_BYTES = 4 * MIB
# The multipart framing and the CSRF field around a model file on the dataset page's form.
FORM_FRAMING_BYTES = 64 * 1024


@dataclass(frozen=True)
class BodyAllowance:
    """``path`` is a route template: each ``{...}`` segment stands for any one path segment."""

    method: str
    path: str
    max_bytes: int
    why: str
    _segments: tuple[str | None, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        segments = tuple(None if s.startswith("{") else s for s in self.path.strip("/").split("/"))
        object.__setattr__(self, "_segments", segments)

    def matches(self, method: str, segments: list[str]) -> bool:
        if method != self.method or len(segments) != len(self._segments):
            return False
        return all(want is None or want == got for want, got in zip(self._segments, segments, strict=True))


BODY_ALLOWANCES: tuple[BodyAllowance, ...] = (
    BodyAllowance(
        "POST",
        "/api/dataset/{dataset_id}/items",
        MAX_BYTES_CEILING + FORM_FRAMING_BYTES,
        "an image upload, raw or as one multipart file part; the handler applies the dataset's own, "
        "smaller limit while streaming",
    ),
    BodyAllowance(
        "POST",
        "/api/dataset/{dataset_id}/uploads",
        BULK_UPLOAD_BYTES,
        "a bulk upload; the handler applies the configured, smaller limit while streaming",
    ),
    BodyAllowance(
        "POST",
        "/rpc",
        RPC_ENVELOPE_BYTES,
        "JSON-RPC: the router refuses past its own 512 KiB in the protocol's error shape",
    ),
    BodyAllowance(
        "PUT", "/api/dataset/{dataset_id}/scan-model", MAX_SCAN_MODEL_BYTES, "the owner's model file"
    ),
    BodyAllowance(
        "PUT", "/api/federations/{federation_id}/model", MAX_FINAL_MODEL_BYTES, "a federation's final model"
    ),
    BodyAllowance(
        "POST",
        "/api/federations/{federation_id}/rounds",
        FEDERATION_ROUND_BYTES,
        "a round: up to 4096 participants, each with a signed loss report",
    ),
    BodyAllowance("POST", "/api/dataset", SEED_JSON_BYTES, "dataset creation may carry base64 seed images"),
    BodyAllowance("POST", "/api/dataset/{dataset_id}/seed", SEED_JSON_BYTES, "base64 seed images"),
    BodyAllowance("POST", "/contribute", FORM_UPLOAD_BYTES, "the Contribute form's image files"),
    BodyAllowance("POST", "/datasets/new", FORM_UPLOAD_BYTES, "the Create form's seed images"),
    BodyAllowance(
        "POST", "/datasets/{dataset_id}/seed", FORM_UPLOAD_BYTES, "seed images from the dataset page"
    ),
    BodyAllowance(
        "POST",
        "/datasets/{dataset_id}/scan-model",
        MAX_SCAN_MODEL_BYTES + FORM_FRAMING_BYTES,
        "a model file from the dataset page",
    ),
)


def allowance_for(method: str, path: str) -> int:
    """The most bytes a ``method`` request to ``path`` may send (the first allowance that matches)."""
    segments = path.strip("/").split("/")
    for allowance in BODY_ALLOWANCES:
        if allowance.matches(method, segments):
            return allowance.max_bytes
    return DEFAULT_BODY_BYTES


def describe_bytes(size: int) -> str:
    """``1 MB``, ``256 MB``, ``128.1 MB``: how the refusal names a limit."""
    return f"{round(size / MIB, 1):g} MB"
