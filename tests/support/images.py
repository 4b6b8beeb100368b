"""Small images for uploads: a tiny PNG per seed, a picture for screenshots, incompressible noise, and
a grey-scale array rendered to PNG."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def _encode(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def png(seed: int, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small PNG whose bytes differ for every seed below 65,536."""
    image = Image.new("RGB", size, color=(seed % 256, (seed // 256) % 256, 7))
    image.putpixel((0, 0), ((seed * 7) % 256, 3, 5))
    return _encode(image)


def picture_png(seed: int, size: int = 96) -> bytes:
    """A small picture (a sun over hills, coloured by ``seed``) so screenshots show something image-like."""
    from PIL import ImageDraw

    hue = (seed * 53) % 256
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):  # sky gradient
        draw.line([(0, y), (size, y)], fill=(40 + y, 90 + (hue + y) % 120, 200 - y // 2))
    r = size // 6
    cx, cy = size // 3 + (seed * 11) % (size // 3), size // 3
    draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 210 - hue // 4, 60))
    draw.polygon(
        [(0, size), (0, size * 2 // 3), (size // 2, size // 2), (size, size * 3 // 4), (size, size)],
        fill=(30 + hue // 3, 120, 60),
    )
    return _encode(image)


def noise_png(size: tuple[int, int], seed: int = 1) -> bytes:
    """Incompressible pixels, so the file is large for its dimensions."""
    import random

    rng = random.Random(seed)
    return _encode(
        Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    )


def to_png(image: np.ndarray) -> bytes:
    """A grey-scale array of values in [0, 1] as an 8-bit PNG."""
    return _encode(Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L"))
