"""Image checks that run before anything is stored.

Uploaded bytes are decoded by Pillow only as pixels, never as code, and only for formats on the
allow-list. A decompression bomb (a small file that decodes to a huge raster) is refused by its
declared size before any pixel is decoded. Bytes past the image's own end marker (a ZIP appended to a
PNG, HTML after a JPEG) are refused, and so is an image cut short: what is stored is the image and
nothing else (``image_extent``).

Decoding is CPU- and memory-bound, so at most ``DECODE_SLOTS`` run at once in this process (sized
from ``SEBRUS_DECODE_CONCURRENCY``, the cores by default); a request that waits longer than
``DECODE_WAIT_SECONDS`` for a slot is told to retry (429) instead of queueing without bound.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from sebrus.services.errors import InvalidInput, RateLimited
from sebrus.services.ingest.image_extent import Truncated, image_end

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = 40_000_000  # the ceiling whatever a dataset's bounds say; below Pillow's bomb threshold
DECODE_WAIT_SECONDS = 10.0
END_MARKERS = {
    "PNG": "the IEND chunk",
    "JPEG": "the end-of-image marker",
    "GIF": "the trailer byte",
    "WEBP": "the size in its RIFF header",
}


class DecodeSlots:
    """A bounded number of concurrent decodes; waiting too long is the client's cue to retry."""

    def __init__(self, slots: int, wait_seconds: float = DECODE_WAIT_SECONDS) -> None:
        if slots < 1:
            raise ValueError("decode slots must be at least 1")
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(slots)

    def __enter__(self) -> DecodeSlots:
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise RateLimited(
                f"The server is decoding {self.slots} images already; retry in a few seconds.",
                retry_after_seconds=max(1, round(self.wait_seconds)),
            )
        return self

    def __exit__(self, *_exc: object) -> None:
        self._semaphore.release()


def default_decode_slots() -> int:
    """One decode per core: more only adds memory and context switches, never throughput."""
    return os.cpu_count() or 1


DECODE_SLOTS = DecodeSlots(default_decode_slots())


def configure_decode_slots(slots: int) -> None:
    """Size this process's decode gate (0: one per core); the app factory calls it from settings."""
    global DECODE_SLOTS
    DECODE_SLOTS = DecodeSlots(slots or default_decode_slots())


@dataclass(frozen=True)
class ImageFacts:
    format: str
    media_type: str
    width: int
    height: int


class ImageRefused(InvalidInput):
    """An upload that is not an acceptable image; ``reason`` is a stable machine-readable code."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, field="file")
        self.reason = reason


def inspect_image(
    data: bytes,
    *,
    min_width: int | None = None,
    max_width: int | None = None,
    min_height: int | None = None,
    max_height: int | None = None,
) -> ImageFacts:
    if not data:
        raise ImageRefused("The file is empty.", "empty")
    with DECODE_SLOTS:
        facts = _decode(data, min_width, max_width, min_height, max_height)
    _check_extent(data, facts.format)
    return facts


def _check_extent(data: bytes, fmt: str) -> None:
    try:
        end = image_end(data, fmt)
    except Truncated as exc:
        raise ImageRefused(f"The {fmt} image is truncated: {exc}.", "truncated") from None
    if end < len(data):
        raise ImageRefused(
            f"The file has {len(data) - end:,} bytes after the end of its {fmt} image "
            f"({END_MARKERS[fmt]}); upload the image alone, without appended data.",
            "trailing_data",
        )


def _decode(
    data: bytes, min_width: int | None, max_width: int | None, min_height: int | None, max_height: int | None
) -> ImageFacts:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            if fmt not in ALLOWED_FORMATS:
                allowed = ", ".join(sorted(ALLOWED_FORMATS))
                raise ImageRefused(
                    f"Images must be one of {allowed}; this file is {fmt or 'unknown'}.", "format"
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageRefused(
                    f"The image declares {width}x{height} pixels, more than the {MAX_PIXELS:,} allowed "
                    "(a decompression bomb?).",
                    "decompression_bomb",
                )
            _check_bounds(width, height, min_width, max_width, min_height, max_height)
            image.seek(0)  # GIF: the first frame is the image
            image.load()
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(
            "The image decodes to too many pixels (a decompression bomb).", "decompression_bomb"
        ) from None
    except UnidentifiedImageError:
        raise ImageRefused(
            "The file is not an image Pillow can read (PNG, JPEG, WebP or GIF).", "not_an_image"
        ) from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageRefused(f"The image is damaged or truncated: {exc}", "corrupt") from None
    return ImageFacts(fmt, ALLOWED_FORMATS[fmt], width, height)


def _check_bounds(
    width: int, height: int, min_w: int | None, max_w: int | None, min_h: int | None, max_h: int | None
) -> None:
    problems = []
    if min_w is not None and width < min_w:
        problems.append(f"width {width} is below the minimum {min_w}")
    if max_w is not None and width > max_w:
        problems.append(f"width {width} is above the maximum {max_w}")
    if min_h is not None and height < min_h:
        problems.append(f"height {height} is below the minimum {min_h}")
    if max_h is not None and height > max_h:
        problems.append(f"height {height} is above the maximum {max_h}")
    if problems:
        raise ImageRefused(
            "The image's dimensions are outside the dataset's bounds: " + "; ".join(problems) + ".",
            "dimensions",
        )
