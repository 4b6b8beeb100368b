"""An owner adds vetted seed images to an existing dataset from its page.

The Create a Dataset form takes a seed set too, but a dataset created without one (or with too few
images per label to scan) needs a way to add more without the API. Each image gets the same checks
as on creation (``web/seed_form.py`` over ``services/scans/seeds.py``); a refusal names the file and sits
beside its field, and nothing is stored unless every image passes.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.http.body_limit import BodyTooLarge
from sebrus.http.errors import status_code_for
from sebrus.services.errors import ServiceError
from sebrus.services.scans import seeds
from sebrus.web import seed_form
from sebrus.web.context import Web
from sebrus.web.forms import FormErrors
from sebrus.web.pages.dataset import dataset_or_404, render_dataset

router = APIRouter()

NOT_OWNER = "Only the dataset's owner changes its seed set."
NO_FILES = "Choose at least one image to add."


@router.post("/datasets/{dataset_id:int}/seed")
async def add_seed_images(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    errors = FormErrors()
    values: dict[str, str] = {}

    def refused(status_code: int) -> Response:
        notice = {"seed_errors": errors, "seed_values": values}  # the label chosen stays chosen
        return render_dataset(web, dataset, notice=notice, status_code=status_code)

    if dataset.owner_id != user.id:  # their dataset page has no seed form to show this beside
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    try:
        form = await web.form(max_files=seed_form.MAX_FILES + 1)
    except BodyTooLarge:  # declared or counted while streaming: nothing of it was kept
        errors.add("seed", seed_form.TOO_LARGE)
        return refused(413)
    rows, typed = seed_form.read_rows(form)
    values.update(typed)
    if not any(row.files for row in rows):
        errors.add("seed_files_0", NO_FILES)
        return refused(400)
    files = await seed_form.prepare(rows, seeds.SeedLimits.of(dataset), errors)
    if errors:
        return refused(400)
    try:
        added = await run_in_threadpool(seeds.store_seed_files, web.db, web.state.blobs, dataset, user, files)
    except ServiceError as exc:
        web.db.rollback()
        errors.add("seed", exc.message)
        return refused(status_code_for(exc))
    target = f"/datasets/{dataset.id}?seeded={len(added)}#checks-heading"
    return web.finish(RedirectResponse(target, status_code=303))
