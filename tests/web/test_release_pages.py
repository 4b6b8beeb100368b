"""Releases in the web UI: the owner publishes from the page (CSRF-checked, 403 for anyone else, nothing
published then); everyone sees each release's root, transaction, counts and diff against the previous
one, downloads every export format as a zip that ``sebrus verify`` accepts, and reads how to verify it."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.blobs.local import LocalBlobStore
from sebrus.releases.verify import verify_export
from tests.support.platform import Auth, login, review_path, upload
from tests.support.web import browser, create_dataset, csrf_from, register

NOTES = "First cut: <cats> & dogs"


def _approve(client: TestClient, reviewer: Auth, dataset_id: int, sha: str) -> None:
    voted = client.post(
        review_path(dataset_id, "items", sha, "vote"), json={"approve": True}, headers=reviewer
    )
    assert voted.status_code == 200, voted.text


def _publish(client: TestClient, dataset_id: int, notes: str) -> httpx.Response:
    page = client.get(f"/datasets/{dataset_id}/releases")
    assert page.status_code == 200
    return client.post(
        f"/datasets/{dataset_id}/releases", data={"csrf_token": csrf_from(page.text), "notes": notes}
    )


def _releases(client: TestClient, dataset_id: int) -> list[dict[str, object]]:
    answer = client.get(f"/api/dataset/{dataset_id}/releases")
    assert answer.status_code == 200, answer.text
    releases: list[dict[str, object]] = answer.json()["releases"]
    return releases


def test_the_owner_publishes_and_everyone_sees_diffs_downloads_and_how_to_verify(
    app: FastAPI, tmp_path: Path
) -> None:
    owner, stranger, anyone = browser(app), browser(app), browser(app)
    register(owner)
    register(stranger)
    ds = create_dataset(owner, "release page pets")
    contributor, reviewer = login(anyone, "release-page-contrib"), login(anyone, "release-page-reviewer")
    hashes = [
        upload(anyone, contributor, ds, seed, label)
        for seed, label in ((501, "cat"), (502, "dog"), (503, "cat"))
    ]
    for sha in hashes[:2]:
        _approve(anyone, reviewer, ds, sha)

    empty = anyone.get(f"/datasets/{ds}/releases")
    assert empty.status_code == 200 and "No release yet." in empty.text
    assert "Publish a release" not in empty.text  # the form is the owner's
    assert f'href="/datasets/{ds}/releases"' in anyone.get(f"/datasets/{ds}").text

    # Someone else, with a valid session and CSRF token, is refused server-side; so is a form without a token.
    refused = _publish(stranger, ds, "not mine")
    assert refused.status_code == 403, refused.text
    assert "owner" in refused.text.lower()
    no_token = owner.post(f"/datasets/{ds}/releases", data={"notes": "forged"})
    assert no_token.status_code == 403
    assert _releases(anyone, ds) == []

    done = _publish(owner, ds, NOTES)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/datasets/{ds}/releases?published=1"
    first = _releases(anyone, ds)[0]
    assert first["item_count"] == 2 and first["notes"] == NOTES

    again = _publish(owner, ds, "nothing new")  # the service's refusal, shown on the page
    assert again.status_code == 409 and "Nothing changed since version 1" in again.text
    assert "nothing new" in again.text  # what the owner typed stays

    _approve(anyone, reviewer, ds, hashes[2])
    assert _publish(owner, ds, "one more cat").status_code == 303
    second = _releases(anyone, ds)[1]

    page = anyone.get(f"/datasets/{ds}/releases").text
    assert "&lt;cats&gt; &amp; dogs" in page  # notes escaped
    for release in (first, second):
        assert str(release["merkle_root"]) in page and str(release["tx_hash"]) in page
    newest = page[page.index('id="release-2"') : page.index('id="release-1"')]
    assert "Since release 1: 1 added, 0 removed, 0 relabelled." in newest and hashes[2] in newest
    assert "<dd>3</dd>" in newest
    assert "sebrus verify release-page-pets-v2" in newest
    assert "sebrus verify release-page-pets-v2 --chain-url http://testserver/rpc" in newest

    for fmt, manifest in (
        ("imagefolder", None),
        ("csv", "manifest.csv"),
        ("jsonl", "manifest.jsonl"),
        ("croissant", "croissant.json"),
    ):
        link = f"/datasets/{ds}/releases/2/export.zip?format={fmt}"
        assert link in page
        download = anyone.get(link)
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/zip"
        assert f'filename="release-page-pets-v2-{fmt}.zip"' in download.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            names = archive.namelist()
            assert all(name.startswith("release-page-pets-v2/") for name in names)
            if manifest is not None:
                assert f"release-page-pets-v2/{manifest}" in names
            archive.extractall(tmp_path / fmt)
        report = verify_export(tmp_path / fmt / "release-page-pets-v2", None)
        assert report.ok and report.files_checked == 3 and report.recomputed_root == second["merkle_root"]

    bad = anyone.get(f"/datasets/{ds}/releases/2/export.zip?format=parquet")
    assert bad.status_code == 400 and "Unknown export format" in bad.text
    assert anyone.get(f"/datasets/{ds}/releases/9/export.zip").status_code == 404
    assert re.search(r"Release 2</a> \(3 items", anyone.get(f"/datasets/{ds}").text)


def test_a_release_whose_stored_image_was_altered_or_lost_is_not_offered_as_a_zip(app: FastAPI) -> None:
    owner, anyone = browser(app), browser(app)
    register(owner)
    ds = create_dataset(owner, "altered pets")
    contributor, reviewer = login(anyone, "altered-contrib"), login(anyone, "altered-reviewer")
    altered, lost = (upload(anyone, contributor, ds, seed) for seed in (511, 512))
    for sha in (altered, lost):
        _approve(anyone, reviewer, ds, sha)
    assert _publish(owner, ds, "").status_code == 303
    blobs = app.state.platform.blobs
    assert isinstance(blobs, LocalBlobStore)

    path = blobs.path_for(altered)
    path.chmod(0o600)
    path.write_bytes(b"not the released image")
    refused = anyone.get(f"/datasets/{ds}/releases/1/export.zip?format=csv")
    assert refused.status_code == 500 and refused.headers["content-type"].startswith("text/html")
    assert f"the bytes served for item {altered} do not hash to it" in refused.text

    path.unlink()
    blobs.delete(lost)
    refused = anyone.get(f"/datasets/{ds}/releases/1/export.zip")
    assert refused.status_code == 500 and "is missing from the blob store" in refused.text
    assert not list(Path(tempfile.gettempdir()).glob("sebrus-release-zip-*"))  # no scratch left behind
