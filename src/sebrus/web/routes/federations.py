"""An owner starts federated training from the dataset's page; the same checks as the API.

The form sends text; it is turned into the request the service checks (``services/federation/config``),
and a refusal sits beside the field it names. Nothing is opened on chain unless every check passed.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.http.deps import chain_services
from sebrus.http.errors import status_code_for
from sebrus.services.errors import InvalidInput, ServiceError
from sebrus.services.federation.start import start_federation
from sebrus.web.context import Web
from sebrus.web.forms import FormErrors, text
from sebrus.web.pages.dataset import dataset_or_404, render_dataset

router = APIRouter()

NOT_OWNER = "Only the dataset's owner starts federated training on it."
FIELDS = (
    "rounds",
    "epsilon",
    "mechanism",
    "model",
    "elimination",
    "min_clients",
    "image_size",
    "in_channels",
)


def _number(raw: str, name: str, errors: FormErrors) -> int | None:
    value = raw.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 6:
        errors.add(name, "Enter a whole number, like 10.")
        return None
    return int(value)


@router.post("/datasets/{dataset_id:int}/federations")
async def start(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    form = await web.form()  # the CSRF check
    if dataset.owner_id != user.id:
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    values = {name: text(form, name) for name in FIELDS}
    labels = [v for v in form.getlist("labels") if isinstance(v, str)]
    errors = FormErrors()
    request: dict[str, Any] = {k: values[k] for k in ("mechanism", "model", "elimination")}
    request["labels"] = labels or None
    request["rounds"] = _number(values["rounds"], "rounds", errors)
    request["min_clients"] = _number(values["min_clients"] or "2", "min_clients", errors)
    if values["image_size"].strip():  # empty: the service derives it from the dataset
        request["image_size"] = _number(values["image_size"], "image_size", errors)
    request["in_channels"] = _number(values["in_channels"] or "1", "in_channels", errors)
    epsilon = values["epsilon"].strip().lower()
    try:
        request["epsilon"] = "inf" if epsilon == "inf" else float(epsilon)
    except ValueError:
        errors.add("epsilon", 'Enter a number above 0, like 1.5, or "inf" for no noise.')
    services = chain_services(web.request)
    if services is None or services.federations is None:
        errors.add("form", "This server has no chain attached; federated training is unavailable.")
    if not errors and services is not None and services.federations is not None:
        try:
            await run_in_threadpool(
                start_federation,
                web.db,
                link=services.link,
                federations=services.federations,
                dataset=dataset,
                user=user,
                request=request,
            )
        except ServiceError as exc:
            web.db.rollback()
            field = (
                exc.field if isinstance(exc, InvalidInput) and exc.field in (*FIELDS, "labels") else "form"
            )
            errors.add(field or "form", exc.message)
            notice = {"federation_errors": errors, "federation_values": {**values, "labels": labels}}
            return render_dataset(web, dataset, notice=notice, status_code=status_code_for(exc))
        return web.finish(
            RedirectResponse(f"/datasets/{dataset.id}?federation=started#federations", status_code=303)
        )
    notice = {"federation_errors": errors, "federation_values": {**values, "labels": labels}}
    return render_dataset(web, dataset, notice=notice, status_code=400 if services is not None else 503)
