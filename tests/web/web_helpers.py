"""Helpers for driving the pages with a TestClient the way a browser would: GET the form, POST it back."""

from __future__ import annotations

import html
import io
import itertools
import re

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

PASSWORD = "a long passphrase"
_names = itertools.count()

_CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_from(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no CSRF field"
    return html.unescape(found.group(1))


def browser(app: FastAPI) -> TestClient:
    """A separate cookie jar, like a separate browser."""
    return TestClient(app, follow_redirects=False)


def submit(client: TestClient, form_url: str, data: dict[str, str], **kwargs: object) -> httpx.Response:
    page = client.get(form_url)
    assert page.status_code == 200, page.text
    action = kwargs.pop("action", form_url)
    return client.post(str(action), data={"csrf_token": csrf_from(page.text), **data}, **kwargs)  # type: ignore[arg-type]


def register(client: TestClient, username: str | None = None) -> str:
    username = username or f"user{next(_names)}"
    done = submit(
        client,
        "/register",
        {"username": username, "password": PASSWORD, "password_confirm": PASSWORD, "next": "/dashboard"},
    )
    assert done.status_code == 303, done.text
    return username


def create_dataset(client: TestClient, name: str, **fields: str) -> int:
    data = {"name": name, "description": "cats and dogs", "labels": "cat, dog", "max_mb": "1", **fields}
    done = submit(client, "/datasets/new", data)
    assert done.status_code == 303, done.text
    found = re.fullmatch(r"/datasets/(\d+)\?created=1", done.headers["location"])
    assert found is not None, done.headers["location"]
    return int(found.group(1))


def png(seed: int, size: tuple[int, int] = (8, 8)) -> bytes:
    image = Image.new("RGB", size, color=(seed % 256, 40, 90))
    image.putpixel((0, 0), ((seed * 7) % 256, 3, 5))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


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
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def noise_png(size: tuple[int, int], seed: int = 1) -> bytes:
    """Incompressible pixels, so the file is large for its dimensions."""
    import random

    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
