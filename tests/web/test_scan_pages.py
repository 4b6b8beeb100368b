"""Scans and the audit on the pages: start a scan (owner only, from the dataset or the Scans page),
follow it, read its report and figures, see an item's scan reasons and audit state, list every scan,
and run the dataset audit and read its history."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sebrus.db.models import Dataset, Item, Scan, ScanScope, ScanState
from sebrus.platform import ChainServices
from tests.support.images import png
from tests.support.poisoned_digits import Upload, make
from tests.support.scans import wait_for_scan
from tests.support.web import browser, create_dataset, csrf_from, register

PER_REQUEST = 20


@dataclass
class Scanned:
    owner: TestClient
    dataset_id: int
    scan_id: int
    scan: dict[str, Any]
    planted: set[str]


def contribute(client: TestClient, dataset_id: int, uploads: list[Upload]) -> None:
    for label in sorted({u.label for u in uploads}):
        mine = [u for u in uploads if u.label == label]
        for start in range(0, len(mine), PER_REQUEST):
            chunk = mine[start : start + PER_REQUEST]
            page = client.get(f"/contribute?dataset={dataset_id}")
            done = client.post(
                "/contribute",
                data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": label},
                files=[("files", (f"{k}.png", u.png, "image/png")) for k, u in enumerate(chunk)],
            )
            assert done.status_code == 200, done.text


def start(client: TestClient, dataset_id: int, scope: str = "all") -> Any:
    page = client.get(f"/datasets/{dataset_id}")
    return client.post(
        f"/datasets/{dataset_id}/scans", data={"csrf_token": csrf_from(page.text), "scope": scope}
    )


@pytest.fixture(scope="module")
def scanned(platform: tuple[FastAPI, ChainServices]) -> Iterator[Scanned]:
    app = platform[0]
    data = make(n_classes=2, per_class=14, seed_per_class=5, rate=0.15, seed=3)
    owner = browser(app)
    register(owner)
    page = owner.get("/datasets/new")
    seed_rows = {label: k for k, label in enumerate(data.labels)}
    created = owner.post(
        "/datasets/new",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "scanned digits",
            "labels": ", ".join(data.labels),
            "max_mb": "1",
            **{f"seed_label_{k}": label for label, k in seed_rows.items()},
        },
        files=[
            (f"seed_files_{seed_rows[label]}", (f"s{i}.png", b, "image/png"))
            for i, (label, b) in enumerate(data.seed)
        ],
    )
    assert created.status_code == 303, created.text
    dataset_id = int(re.search(r"/datasets/(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
    contribute(owner, dataset_id, data.honest)
    mallory = browser(app)
    register(mallory)
    contribute(mallory, dataset_id, data.malicious)

    refused = start(mallory, dataset_id)
    assert refused.status_code == 403 and "owner" in refused.text
    started = start(owner, dataset_id)
    assert started.status_code == 303, started.text
    scan_id = int(re.fullmatch(r"/scans/(\d+)", started.headers["location"]).group(1))  # type: ignore[union-attr]
    scan = wait_for_scan(owner, scan_id)
    assert scan["state"] == "done" and not scan["insufficient_data"], scan
    planted = {hashlib.sha256(u.png).hexdigest() for u in data.malicious if u.poisoned}
    yield Scanned(owner, dataset_id, scan_id, scan, planted)


def test_only_the_owner_sees_the_scan_form_and_the_scan_is_listed(app: FastAPI, scanned: Scanned) -> None:
    page = scanned.owner.get(f"/datasets/{scanned.dataset_id}").text
    assert f'action="/datasets/{scanned.dataset_id}/scans"' in page
    assert f'<a href="/scans/{scanned.scan_id}">Scan {scanned.scan_id}</a>' in page
    assert f"{scanned.scan['n_flagged']} of {scanned.scan['n_items']} flagged" in page
    anyone = browser(app).get(f"/datasets/{scanned.dataset_id}").text
    assert f'action="/datasets/{scanned.dataset_id}/scans"' not in anyone
    assert f'href="/scans/{scanned.scan_id}"' in anyone
    assert f'action="/datasets/{scanned.dataset_id}/audit"' in anyone  # the audit is for everyone
    with app.state.platform.session_factory() as db:
        assert (
            db.scalar(select(func.count()).select_from(Scan).where(Scan.dataset_id == scanned.dataset_id))
            == 1
        )


def test_the_report_page_shows_figures_and_flagged_images_with_reasons(
    app: FastAPI, scanned: Scanned
) -> None:
    anyone = browser(app)
    page = anyone.get(f"/scans/{scanned.scan_id}")
    assert page.status_code == 200
    text = page.text
    assert 'data-active="false"' in text and f"<dt>Flagged</dt><dd>{scanned.scan['n_flagged']}</dd>" in text
    assert scanned.scan["report_sha256"] in text
    assert f'href="/api/scans/{scanned.scan_id}/report.html"' in text
    figures = re.findall(rf'src="(/scans/{scanned.scan_id}/plots/[a-z0-9-]+\.png)"', text)
    assert f"/scans/{scanned.scan_id}/plots/suspicion.png" in figures and len(figures) >= 3
    for url in figures:
        figure = anyone.get(url)
        assert figure.status_code == 200 and figure.content.startswith(b"\x89PNG\r\n\x1a\n"), url
        assert figure.headers["content-type"] == "image/png"
    assert anyone.get(f"/scans/{scanned.scan_id}/plots/nothing.png").status_code == 404

    flagged = anyone.get(f"/api/scans/{scanned.scan_id}/flagged", params={"limit": 24}).json()["items"]
    cards = text.split('<li class="thumb flagged">')[1:]
    assert len(cards) == len(flagged) > 0
    for card, entry in zip(cards, flagged, strict=True):
        assert f"/items/{entry['sha256']}/image" in card
        first = entry["reasons"][0]
        assert f"<strong>{first['detector']}</strong>" in card
    caught = [f for f in flagged if f["sha256"] in scanned.planted]
    assert caught, "the scan should flag some of the planted images"


def test_an_item_page_shows_its_latest_scan_reasons(app: FastAPI, scanned: Scanned) -> None:
    client = browser(app)
    flagged = client.get(f"/api/scans/{scanned.scan_id}/flagged", params={"limit": 1}).json()["items"][0]
    with app.state.platform.session_factory() as db:
        ids = dict(
            db.execute(select(Item.content_hash, Item.id).where(Item.dataset_id == scanned.dataset_id)).all()
        )
    page = client.get(f"/items/{ids[flagged['sha256']]}").text
    assert f"Scan {scanned.scan_id}</a>" in page and "<strong>flagged</strong> this item" in page
    assert flagged["reasons"][0]["detector"] in page
    clean = next(
        h
        for h in ids
        if h
        not in {
            f["sha256"]
            for f in client.get(f"/api/scans/{scanned.scan_id}/flagged", params={"limit": 100}).json()[
                "items"
            ]
        }
    )
    assert "did not flag this item" in client.get(f"/items/{ids[clean]}").text


def test_a_running_scan_is_followed_and_a_second_one_is_refused(app: FastAPI, scanned: Scanned) -> None:
    with app.state.platform.session_factory() as db:
        dataset = db.get(Dataset, scanned.dataset_id)
        assert dataset is not None
        # A scan handed to an RQ worker: the server's own runner leaves it alone.
        running = Scan(
            dataset_id=dataset.id,
            state=ScanState.RUNNING,
            scope=ScanScope.ALL,
            backend="rq",
            progress=0.42,
            message="training the trusted model",
        )
        db.add(running)
        db.commit()
        running_id = running.id
    try:
        page = scanned.owner.get(f"/scans/{running_id}").text
        assert 'data-active="true"' in page and 'value="42"' in page
        assert "42% · training the trusted model" in page and 'src="/static/js/scan.js"' in page
        assert "/plots/" not in page
        refused = start(scanned.owner, scanned.dataset_id)
        assert refused.status_code == 409
        assert f"Scan {running_id} of this dataset is still running" in refused.text
    finally:
        with app.state.platform.session_factory() as db:
            db.delete(db.get(Scan, running_id))
            db.commit()


def test_a_missing_scan_is_a_404_page(app: FastAPI) -> None:
    page = browser(app).get("/scans/999999")
    assert page.status_code == 404 and "There is no scan 999999" in page.text


def test_a_small_dataset_scan_says_there_is_not_enough_data(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "too small to scan")
    started = start(owner, dataset_id)
    assert started.status_code == 303
    scan_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert wait_for_scan(owner, scan_id)["insufficient_data"] is True
    page = owner.get(f"/scans/{scan_id}").text
    assert "Not enough data" in page and "at least 2 labels" in page and "Flagged images" not in page


def test_the_audit_shows_agreement_then_a_corrupted_image(app: FastAPI, services: ChainServices) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "audited")
    image = png(900)
    form = owner.get(f"/contribute?dataset={dataset_id}")
    owner.post(
        "/contribute",
        data={"csrf_token": csrf_from(form.text), "dataset": str(dataset_id), "label": "cat"},
        files=[("files", ("a.png", image, "image/png"))],
    )
    anyone = browser(app)
    page = anyone.get(f"/datasets/{dataset_id}")
    clean = anyone.post(f"/datasets/{dataset_id}/audit", data={"csrf_token": csrf_from(page.text)})
    assert clean.status_code == 200 and "The database, the chain and the blob store agree" in clean.text
    assert "<dt>Images re-hashed</dt><dd>1</dd>" in clean.text
    assert anyone.post(f"/datasets/{dataset_id}/audit", data={}).status_code == 403  # no CSRF token

    digest = hashlib.sha256(image).hexdigest()
    with app.state.platform.session_factory() as db:
        item_id = db.scalar(select(Item.id).where(Item.dataset_id == dataset_id, Item.content_hash == digest))
    assert "Consistent: the contract" in anyone.get(f"/items/{item_id}").text
    blob = app.state.platform.blobs.path_for(digest)
    original = blob.read_bytes()
    blob.chmod(0o644)
    blob.write_bytes(png(901))
    try:
        item_page = anyone.get(f"/items/{item_id}").text
        assert "This item's copies disagree" in item_page and "no longer hash to their key" in item_page
        page = anyone.get(f"/datasets/{dataset_id}")
        shared = anyone.post(f"/datasets/{dataset_id}/audit", data={"csrf_token": csrf_from(page.text)})
        assert "agree" in shared.text  # a visitor without an account shares the recent run
        page = owner.get(f"/datasets/{dataset_id}")  # a signed-in visitor gets a new one
        found = owner.post(f"/datasets/{dataset_id}/audit", data={"csrf_token": csrf_from(page.text)})
        assert found.status_code == 200 and "found 1 disagreement" in found.text
        assert "Image bytes corrupted" in found.text and f'href="/items/{item_id}"' in found.text
    finally:
        blob.write_bytes(original)


def scan_count(app: FastAPI) -> int:
    with app.state.platform.session_factory() as db:
        return db.scalar(select(func.count()).select_from(Scan)) or 0


def test_the_scans_page_lists_every_scan_and_filters_by_dataset(app: FastAPI, scanned: Scanned) -> None:
    anyone = browser(app)
    listed = anyone.get("/scans")
    assert listed.status_code == 200
    assert f'<a href="/scans/{scanned.scan_id}">Scan {scanned.scan_id}</a>' in listed.text
    assert f'<a href="/datasets/{scanned.dataset_id}">scanned digits</a>' in listed.text
    assert f"{scanned.scan['n_flagged']} of {scanned.scan['n_items']}" in listed.text
    assert 'method="post" action="/scans"' not in listed.text and "Log in</a> to scan" in listed.text

    other = browser(app)
    register(other)
    unscanned = create_dataset(other, "never scanned")
    mine = other.get("/scans").text
    assert (
        'method="post" action="/scans"' in mine
        and f'<option value="{unscanned}">never scanned</option>' in mine
    )
    assert (
        f'<option value="{scanned.dataset_id}">scanned digits</option>' not in mine.split("filter-dataset")[0]
    )
    assert "No scan has run on never scanned yet." in anyone.get(f"/scans?dataset={unscanned}").text
    only = anyone.get(f"/scans?dataset={scanned.dataset_id}").text
    assert f'href="/scans/{scanned.scan_id}"' in only
    assert anyone.get("/scans?dataset=999999").status_code == 404


def test_an_owner_starts_a_scan_from_the_scans_page_and_refusals_sit_beside_the_field(
    app: FastAPI, scanned: Scanned
) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "small but mine")
    token = csrf_from(owner.get("/scans").text)
    before = scan_count(app)

    none = owner.post("/scans", data={"csrf_token": token, "dataset": "", "scope": "all"})
    assert none.status_code == 400 and 'id="dataset-error"' in none.text
    assert "Choose one of your datasets to scan." in none.text
    bad_scope = owner.post("/scans", data={"csrf_token": token, "dataset": str(dataset_id), "scope": "some"})
    assert bad_scope.status_code == 400 and 'id="scope-error"' in bad_scope.text
    assert f'<option value="{dataset_id}" selected>small but mine</option>' in bad_scope.text  # kept
    theirs = owner.post(
        "/scans", data={"csrf_token": token, "dataset": str(scanned.dataset_id), "scope": "all"}
    )
    assert theirs.status_code == 403 and 'id="dataset-error"' in theirs.text
    assert (
        owner.post("/scans", data={"dataset": str(dataset_id), "scope": "all"}).status_code == 403
    )  # no CSRF
    assert scan_count(app) == before  # nothing half-made

    started = owner.post("/scans", data={"csrf_token": token, "dataset": str(dataset_id), "scope": "all"})
    assert started.status_code == 303 and started.headers["location"].startswith("/scans/")
    scan_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert wait_for_scan(owner, scan_id)["dataset_id"] == dataset_id
    assert scan_count(app) == before + 1


def test_the_audit_pages_list_each_dataset_with_its_latest_run(app: FastAPI) -> None:
    auditor = browser(app)
    name = register(auditor)
    dataset_id = create_dataset(auditor, "audit history")
    row = re.compile(
        rf'<a href="/datasets/{dataset_id}/audit">audit history</a></span>\s*'
        r'<span class="run-last">(.*?)</span>\n'
    )
    listing = auditor.get("/audit?q=audit+history").text
    found = row.search(listing)
    assert found is not None and found.group(1) == "Never audited"
    history = auditor.get(f"/datasets/{dataset_id}/audit")
    assert history.status_code == 200 and "Nobody has audited this dataset yet." in history.text

    ran = auditor.post(f"/datasets/{dataset_id}/audit", data={"csrf_token": csrf_from(history.text)})
    assert ran.status_code == 200 and "agree" in ran.text and "Run the audit again" in ran.text
    anyone = browser(app)
    page = anyone.get(f"/datasets/{dataset_id}/audit")
    assert (
        anyone.post(f"/datasets/{dataset_id}/audit", data={"csrf_token": csrf_from(page.text)}).status_code
        == 200
    )

    runs = anyone.get(f"/datasets/{dataset_id}/audit").text.split('id="audit-runs"')[1]
    assert runs.count("<tr>") == 2  # the header and the signed-in run: the visitor's shared it, unlogged
    assert name in runs and "a visitor without an account" not in runs
    listing = anyone.get("/audit?q=audit+history").text
    found = row.search(listing)
    assert found is not None and "Agree" in found.group(1)
    assert found.group(1).endswith(f"UTC, by {name}")
    assert "No dataset matches" in anyone.get("/audit?q=no+such+dataset+here").text
