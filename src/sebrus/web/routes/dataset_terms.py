"""An owner states the dataset's licence and citation from its page; every export then carries them.

The same checks as ``PUT /api/dataset/{id}`` (``services/dataset_terms.py``). Both fields are checked
before either is stored, a refusal shows every problem beside its field at once, and what was typed
stays in the form.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.http.errors import status_code_for
from sebrus.services import datasets
from sebrus.services.dataset_terms import clean_cite_as, clean_license
from sebrus.services.errors import InvalidInput, ServiceError
from sebrus.web.context import Web
from sebrus.web.forms import FormErrors, text
from sebrus.web.pages.dataset import dataset_or_404, render_dataset

router = APIRouter()

NOT_OWNER = "Only the dataset's owner states its licence and citation."


@router.post("/datasets/{dataset_id:int}/terms")
async def set_terms(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    form = await web.form()
    if dataset.owner_id != user.id:  # their page has no terms form to show this beside
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    values = {"license": text(form, "license"), "cite_as": text(form, "cite_as")}
    errors = FormErrors()
    for name, clean in (("license", clean_license), ("cite_as", clean_cite_as)):
        try:
            clean(values[name])
        except InvalidInput as exc:
            errors.add(name, exc.message)
    if errors:
        return render_dataset(
            web, dataset, notice={"terms_errors": errors, "terms_values": values}, status_code=400
        )
    try:
        await run_in_threadpool(
            datasets.update_dataset,
            web.db,
            user,
            dataset,
            license=values["license"],
            cite_as=values["cite_as"],
        )
    except ServiceError as exc:
        web.db.rollback()
        errors.add("license", exc.message)
        return render_dataset(
            web,
            dataset,
            notice={"terms_errors": errors, "terms_values": values},
            status_code=status_code_for(exc),
        )
    return web.finish(RedirectResponse(f"/datasets/{dataset.id}?terms=1#terms", status_code=303))
