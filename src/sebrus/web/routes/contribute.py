"""Contribute: pick a dataset, a label and one or many images.

With JavaScript the page checks each file in the browser and sends it to the REST API with per-file
progress (``static/js/contribute.js``): up to ``MAX_FILES`` files one request each (each waits for its
block and links to its item), more in batches to ``POST /api/dataset/{id}/uploads`` sized by the
server's bulk limits, which the page carries. Without JavaScript the same form posts here as
multipart and every file (up to ``MAX_FILES``) goes through ``contributions.accept_upload``, so the
server's checks and messages are identical either way.

A refused form keeps the dataset and label chosen and shows every error at once. Its files cannot be
kept: no browser lets a page refill a file field, so the refusal asks for them again by name.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sebrus.db.models import Dataset, User
from sebrus.http.body_allowances import FORM_UPLOAD_BYTES, describe_bytes
from sebrus.http.body_limit import BodyTooLarge
from sebrus.runtime import ChainServices
from sebrus.services import browse
from sebrus.services import items as item_index
from sebrus.services.errors import ServiceError
from sebrus.services.ingest import bulk
from sebrus.services.ingest.contributions import UploadTooLarge, accept_upload
from sebrus.services.ingest.images import ALLOWED_FORMATS
from sebrus.services.review.deposits_due import upload_notice
from sebrus.web.chain_info import chain_id_of, chain_services, served_network
from sebrus.web.context import Web, WebRequest
from sebrus.web.forms import FormErrors, text
from sebrus.web.templating import image_limits

router = APIRouter()

MAX_FILES = 20
CHOOSE_AGAIN = "Browsers do not let a page refill a file field: choose your images again"
QUEUED = "Accepted and queued for the chain; it will appear in the dataset shortly."
ACCEPT = ",".join(sorted(ALLOWED_FORMATS.values()))


@dataclass
class FileResult:
    name: str
    size: int
    ok: bool
    message: str
    item_id: int | None = None


def _options(choices: list[Dataset]) -> list[dict[str, Any]]:
    return [
        {
            "dataset": d,
            "labels_json": json.dumps(d.labels),
            "limits": image_limits(d),
            "bounds_json": json.dumps(
                {k: getattr(d, k) for k in ("min_width", "max_width", "min_height", "max_height")}
            ),
        }
        for d in choices
    ]


def _deposit_notice(dataset: Dataset | None, results: list[FileResult] | None) -> str:
    """The upload's word that a review deposit is due (as the API's answer says it), or ""."""
    uploaded = sum(1 for r in results or [] if r.ok)
    notice = upload_notice(dataset, uploaded) if dataset is not None else None
    return notice[1] if notice is not None else ""


def _page(
    web: WebRequest,
    *,
    selected: Dataset | None,
    label: str,
    errors: FormErrors,
    results: list[FileResult] | None = None,
    status_code: int = 200,
) -> Response:
    choices = browse.dataset_choices(web.db)
    if selected is None and choices:
        selected = choices[0]
    context = {
        "options": _options(choices),
        "selected": selected,
        "selected_limits": image_limits(selected) if selected is not None else "",
        "label": label,
        "errors": errors,
        "results": results,
        "deposit_notice": _deposit_notice(selected, results),
        "accept": ACCEPT,
        "max_files": MAX_FILES,
        "bulk_max_files": bulk.MAX_FILES,
        "bulk_max_bytes": web.state.settings.bulk_upload_max_bytes,
        "available": chain_services(web.request) is not None,
        "wallet_network": served_network(web.request),
        "chain_id": chain_id_of(web.request),  # for _wallet_absent.html: the network a wallet must be on
    }
    return web.render("contribute.html", context, status_code=status_code)


@router.get("/contribute")
def contribute_form(web: Web, dataset: int | None = None) -> Response:
    web.require_user()
    selected = web.db.get(Dataset, dataset) if dataset is not None else None
    return _page(web, selected=selected, label="", errors=FormErrors())


def _accept_with_hash(
    web: WebRequest, services: ChainServices, dataset: Dataset, user: User, label: str, upload: UploadFile
) -> tuple[FileResult, str | None]:
    """One file through the upload service; the hash comes back only for a newly accepted item."""
    name = upload.filename or "unnamed file"
    size = upload.size or 0
    if size > dataset.max_bytes:
        return FileResult(name, size, False, UploadTooLarge(dataset.max_bytes).message), None
    data = upload.file.read(dataset.max_bytes + 1)
    try:
        accepted = accept_upload(
            web.db,
            link=services.link,
            blobs=web.state.blobs,
            dataset=dataset,
            user=user,
            label=label,
            data=data,
            limiter=services.limiter,
        )
    except ServiceError as refused:
        return FileResult(name, len(data), False, refused.message), None
    if accepted.created:
        services.relayer_loop.wake()
    if accepted.item is not None:
        return FileResult(
            name, len(data), True, "You had already contributed this image.", accepted.item.id
        ), None
    return FileResult(name, len(data), True, "Accepted."), accepted.content_hash


def _wait_for_items(
    web: WebRequest,
    services: ChainServices,
    dataset: Dataset,
    hashes: dict[int, str],
    results: list[FileResult],
) -> None:
    """Wait (within the upload wait budget) until accepted files are anchored and indexed, to link them."""
    deadline = time.monotonic() + web.state.settings.upload_wait_seconds
    for index, content_hash in hashes.items():
        remaining = max(0.0, deadline - time.monotonic())
        if services.indexer.wait_for(dataset.id, content_hash, remaining):
            web.db.expire_all()
            item = item_index.item_by_hash(web.db, dataset.id, content_hash)
            result = results[index]
            result.item_id = item.id if item is not None else None
            result.message = "Anchored on chain and listed in the dataset."
        else:
            results[index].message = QUEUED


@router.post("/contribute")
async def contribute(web: Web) -> Response:
    user = web.require_user()
    errors = FormErrors()
    try:  # the whole request is capped at FORM_UPLOAD_BYTES (http/body_allowances.py), chunked or not
        form = await web.form(max_files=MAX_FILES + 1)
    except BodyTooLarge:
        errors.add(
            "files", f"Send at most {describe_bytes(FORM_UPLOAD_BYTES)} in one go; choose fewer files."
        )
        return _page(web, selected=None, label="", errors=errors, status_code=413)
    label = text(form, "label")
    raw_id = text(form, "dataset")
    dataset = (
        web.db.get(Dataset, int(raw_id))
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) < 10
        else None
    )
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if dataset is None:
        errors.add("dataset", "Choose a dataset to contribute to.")
    elif label not in dataset.labels:
        errors.add("label", f"Choose one of this dataset's labels: {', '.join(dataset.labels[:20])}.")
    if not uploads:
        errors.add("files", "Choose at least one image file.")
    elif len(uploads) > MAX_FILES:
        errors.add("files", f"Choose at most {MAX_FILES} files at a time.")
    services = chain_services(web.request)
    if services is None:
        errors.add("form", "This server has no chain attached; contributions are unavailable.")
    if errors or dataset is None or services is None:
        if uploads and "files" not in errors.fields:
            names = ", ".join(u.filename or "" for u in uploads[:5]) + (", …" if len(uploads) > 5 else "")
            errors.add("files", f"{CHOOSE_AGAIN} ({names})")
        return _page(web, selected=dataset, label=label, errors=errors, status_code=400)
    results: list[FileResult] = []
    hashes: dict[int, str] = {}
    for upload in uploads:
        result, content_hash = await run_in_threadpool(
            _accept_with_hash, web, services, dataset, user, label, upload
        )
        if content_hash is not None:
            hashes[len(results)] = content_hash
        results.append(result)
    await run_in_threadpool(_wait_for_items, web, services, dataset, hashes, results)
    status_code = 200 if all(r.ok for r in results) else 400
    return _page(web, selected=dataset, label=label, errors=errors, results=results, status_code=status_code)
