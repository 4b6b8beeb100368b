"""An owner uploads, replaces or removes the model the dataset's scans use, from its page.

The same checks as the API (``services/scans/model.py``): a safe format, one output per label, a run
on the dataset's images, all before anything is stored. A refusal sits beside the file field.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from sebrus.http.body_limit import BodyTooLarge
from sebrus.http.errors import status_code_for
from sebrus.services.errors import ServiceError
from sebrus.services.scans import model as scan_model
from sebrus.web.context import Web
from sebrus.web.forms import FormErrors
from sebrus.web.pages.dataset import dataset_or_404, render_dataset

router = APIRouter()

NOT_OWNER = "Only the dataset's owner chooses the model its scans use."
NO_FILE = "Choose a model file: TorchScript, or safetensors weights of the reference CNN."


@router.post("/datasets/{dataset_id:int}/scan-model")
async def set_scan_model(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    errors = FormErrors()

    def refused(status_code: int) -> Response:
        return render_dataset(web, dataset, notice={"model_errors": errors}, status_code=status_code)

    if dataset.owner_id != user.id:  # their page has no model form to show this beside
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    try:  # the body's allowance (http/body_allowances.py) is the model's limit plus the form's framing
        form = await web.form(max_files=1)
    except BodyTooLarge:
        errors.add("model_file", scan_model.ScanModelTooLarge().message)
        return refused(413)
    upload = form.get("model_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("model_file", NO_FILE)
        return refused(400)
    data = await upload.read(scan_model.MAX_SCAN_MODEL_BYTES + 1)
    await upload.close()
    if len(data) > scan_model.MAX_SCAN_MODEL_BYTES:
        errors.add("model_file", scan_model.ScanModelTooLarge().message)
        return refused(413)
    try:
        await run_in_threadpool(
            scan_model.set_scan_model, web.db, web.state.blobs, dataset, user, data, name=upload.filename
        )
    except ServiceError as exc:
        web.db.rollback()
        errors.add("model_file", exc.message)
        return refused(status_code_for(exc))
    return web.finish(RedirectResponse(f"/datasets/{dataset.id}?model=set#scan-model", status_code=303))


@router.post("/datasets/{dataset_id:int}/scan-model/remove")
async def remove_scan_model(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    await web.form()  # the CSRF check
    if dataset.owner_id != user.id:
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    await run_in_threadpool(scan_model.remove_scan_model, web.db, dataset, user)
    return web.finish(RedirectResponse(f"/datasets/{dataset.id}?model=removed#scan-model", status_code=303))
