"""Image checks that run before anything is stored.

Uploaded bytes are decoded by Pillow only as pixels, never as code, and only for formats on the
allow-list. A decompression bomb (a small file that decodes to a huge raster) is refused by its
declared size before any pixel is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from sebrus.services.errors import InvalidInput

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = 40_000_000  # far above any training image; below Pillow's own bomb threshold


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
