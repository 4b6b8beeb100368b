"""Helpers for driving the pages with a TestClient the way a browser would: GET the form, POST it back."""

from __future__ import annotations

import html
import itertools
import re

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.platform import login

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


def api_user(api: httpx.Client, username: str) -> dict[str, str]:
    """Register through the API with ``PASSWORD``; a bearer header, leaving no cookie behind in ``api``."""
    return login(api, username, PASSWORD)


def create_dataset(client: TestClient, name: str, **fields: str) -> int:
    data = {"name": name, "description": "cats and dogs", "labels": "cat, dog", "max_mb": "1", **fields}
    done = submit(client, "/datasets/new", data)
    assert done.status_code == 303, done.text
    found = re.fullmatch(r"/datasets/(\d+)\?created=1", done.headers["location"])
    assert found is not None, done.headers["location"]
    return int(found.group(1))


def field_block(page: str, field: str) -> str:
    """The markup of one form field's wrapper, where its error must appear."""
    start = page.index(f'<label for="{field}"')
    wrapper = page.rindex('<div class="field', 0, start)
    return page[wrapper : page.index("</div>", start)]


def add_seed_images(
    client: TestClient, dataset_id: int, label: str, files: list[tuple[str, bytes]]
) -> httpx.Response:
    """Posts the dataset page's seed form: ``files`` (name, bytes) as seed images of ``label``."""
    page = client.get(f"/datasets/{dataset_id}")
    return client.post(
        f"/datasets/{dataset_id}/seed",
        data={"csrf_token": csrf_from(page.text), "seed_label_0": label},
        files=[("seed_files_0", (name, data, "image/png")) for name, data in files],
    )
