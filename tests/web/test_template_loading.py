"""Templates are compiled once per process: rendering a page does not look at the template files again.

Jinja's default (auto_reload) stats every template a page extends or imports on every render, to
recompile it if it changed; the templates ship with the package, so that is work for nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.config import Settings
from sebrus.web.templating import TEMPLATE_DIR
from tests.support.api import sign_up_and_log_in
from tests.support.reads import add_datasets, build_reads_app


@pytest.fixture
def pages_app(tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        data_dir=tmp_path / "data", password_time_cost=1, password_memory_cost_kib=8, password_parallelism=1
    )
    app = build_reads_app(settings)
    yield app
    app.state.platform.engine.dispose()


def test_a_second_render_reads_no_template_file(pages_app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = sign_up_and_log_in(TestClient(pages_app), "owner")
    add_datasets(pages_app, owner.user_id, 3)
    first = owner.client.get("/dashboard", headers={"Accept": "text/html"})
    assert first.status_code == 200 and "set 2" in first.text

    looked_at: list[str] = []
    getmtime = os.path.getmtime

    def watching(path: str | os.PathLike[str]) -> float:
        if str(path).startswith(str(TEMPLATE_DIR)):
            looked_at.append(str(path))
        return getmtime(path)

    monkeypatch.setattr(os.path, "getmtime", watching)
    again = owner.client.get("/dashboard", headers={"Accept": "text/html"})
    assert again.status_code == 200 and again.text.count("set ") == first.text.count("set ")
    assert looked_at == []
