"""Dashboard (every dataset), Create a Dataset, and one dataset's items as thumbnails."""

from __future__ import annotations

import logging
import re
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.db.models import DEFAULT_MAX_BYTES
from sebrus.http.body_limit import BodyTooLarge
from sebrus.primitives import DATASET_MAX_LABEL_BYTES
from sebrus.services import browse, datasets
from sebrus.services.errors import Conflict, InvalidInput, RateLimited, ServiceError
from sebrus.services.pagination import PageRequest
from sebrus.services.scans import seeds
from sebrus.web import seed_form
from sebrus.web.context import Web, WebRequest
from sebrus.web.forms import FormErrors, optional_int, text
from sebrus.web.pages.dataset import MIB, dataset_or_404, render_dataset
from sebrus.web.paging import Pager
from sebrus.web.policy_form import DEFAULTS as POLICY_DEFAULTS
from sebrus.web.policy_form import MAX_WINDOW_MINUTES, describe_policy, read_policy

log = logging.getLogger(__name__)

router = APIRouter()

DASHBOARD_PAGE = 20
# Service field names -> the form's own field names, so each error lands beside its input.
FIELD_OF = {
    "datasetName": "name",
    "max_bytes": "max_mb",
    "labels": "labels",
    "description": "description",
    "seed": "seed",
}
BOUNDS = ("min_width", "max_width", "min_height", "max_height")


@router.get("/dashboard")
def dashboard(web: Web, q: str = "", page: int = 1) -> Response:
    pager = Pager.from_page(page, DASHBOARD_PAGE)
    found = browse.search_summaries(web.db, q, PageRequest(limit=pager.size, offset=pager.offset))
    rows = [
        {
            "dataset": row.dataset,
            "counts": row.counts,
            "owner": row.owner,
            "policy": describe_policy(row.dataset.review_policy),
        }
        for row in found.items
    ]
    return web.render(
        "dashboard.html",
        {"q": q, "rows": rows, "pager": pager.with_total(found.total, {"q": q} if q else {})},
    )


def _blank_values() -> dict[str, str]:
    return {
        "name": "",
        "description": "",
        "labels": "",
        "max_mb": str(DEFAULT_MAX_BYTES // MIB),
        **POLICY_DEFAULTS,
    }


def _new_form(
    web: WebRequest, values: dict[str, str], errors: FormErrors, status_code: int = 200
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "seed_rows": seed_form.rows_to_show(values),
        "max_seed_rows": seed_form.MAX_ROWS,
        "max_window_minutes": MAX_WINDOW_MINUTES,
        "default_max_side": datasets.DEFAULT_MAX_SIDE,
        "max_label_bytes": DATASET_MAX_LABEL_BYTES,
    }
    return web.render("dataset_new.html", context, status_code=status_code)


@router.get("/datasets/new")
def new_dataset_form(web: Web) -> Response:
    web.require_user()
    return _new_form(web, _blank_values(), FormErrors())


def parse_labels(raw: str) -> list[str]:
    """One label per line or separated by commas; blank entries and surrounding spaces are dropped."""
    return [part.strip() for part in re.split(r"[,\n]", raw) if part.strip()]


def _max_bytes(raw: str, errors: FormErrors) -> int:
    try:
        megabytes = Decimal(raw.strip() or "0")
    except InvalidOperation:
        errors.add("max_mb", "The size limit must be a number of megabytes, like 10 or 0.5.")
        return DEFAULT_MAX_BYTES
    size = int(megabytes * MIB)
    if not 1 <= size <= datasets.MAX_BYTES_CEILING:
        errors.add(
            "max_mb", f"The size limit must be above 0 and at most {datasets.MAX_BYTES_CEILING // MIB} MB."
        )
    return size


@router.post("/datasets/new")
async def create_dataset(web: Web) -> Response:
    user = web.require_user()
    errors = FormErrors()
    try:
        form = await web.form(max_files=seed_form.MAX_FILES + 1)
    except BodyTooLarge:  # declared or counted while streaming: nothing of it was kept
        errors.add("seed", seed_form.TOO_LARGE)
        return _new_form(web, _blank_values(), errors, status_code=413)
    values = {key: text(form, key) for key in ("name", "description", "labels", "max_mb", *BOUNDS)}
    labels = parse_labels(values["labels"])
    if not values["name"].strip():
        errors.add("name", "Give the dataset a name.")
    if not labels:
        errors.add("labels", "List at least one label, such as cat, dog.")
    max_bytes = _max_bytes(values["max_mb"], errors)
    bounds = {
        key: optional_int(form, key, errors, label=key.replace("_", " ").capitalize()) for key in BOUNDS
    }
    policy_values, policy = read_policy(form, errors)
    values.update(policy_values)
    seed_rows, seed_values = seed_form.read_rows(form)
    values.update(seed_values)
    spec = datasets.DatasetSpec(
        name=values["name"],
        description=values["description"],
        labels=labels,
        max_bytes=max_bytes,
        min_width=bounds["min_width"],
        max_width=bounds["max_width"],
        min_height=bounds["min_height"],
        max_height=bounds["max_height"],
        review_policy=policy,
    )
    seed_files: list[seeds.SeedFile] = []
    # Seed images are checked against the limits above, so those must be valid first; a problem
    # elsewhere in the form (the name, the policy) does not hide the seed images' own errors.
    if not any(key in errors.fields for key in ("labels", "max_mb", *BOUNDS)):
        limits = seeds.SeedLimits(
            labels, max_bytes, spec.min_width, spec.max_width, spec.min_height, spec.max_height
        )
        seed_files = await seed_form.prepare(seed_rows, limits, errors)
    dataset = None
    if not errors:
        try:
            dataset = await run_in_threadpool(
                datasets.register_dataset,
                web.db,
                user,
                spec,
                web.state.hooks.dataset_anchor,
                web.state.dataset_limiter,
            )
        except RateLimited as refused:
            errors.add("form", refused.message)
            response = _new_form(web, values, errors, status_code=429)
            response.headers["Retry-After"] = str(refused.retry_after_seconds)
            return response
        except Conflict:
            taken = values["name"].strip()
            errors.add("name", f"A dataset named {taken!r} already exists; choose another name.")
        except InvalidInput as refused:
            errors.add(
                FIELD_OF.get(refused.field or "", refused.field or "form"), refused.message.replace("`", "")
            )
        except ServiceError as refused:
            errors.add("form", refused.message)
    if dataset is not None and seed_files:
        try:
            await run_in_threadpool(
                seeds.store_seed_files, web.db, web.state.blobs, dataset, user, seed_files
            )
        except ServiceError:  # the dataset exists on chain by now: say that the seeds did not make it
            log.exception("seed files of new dataset %s were not stored", dataset.id)
            return web.finish(
                RedirectResponse(f"/datasets/{dataset.id}?created=1&seed_failed=1", status_code=303)
            )
    if dataset is None:
        if any(row.files for row in seed_rows):
            errors.add("seed", seed_form.CHOOSE_AGAIN)
        return _new_form(web, values, errors, status_code=400)
    return web.finish(RedirectResponse(f"/datasets/{dataset.id}?created=1", status_code=303))


@router.get("/datasets/{dataset_id:int}")
def dataset_page(
    web: Web,
    dataset_id: int,
    status: str = "",
    label: str = "",
    contributor: str = "",
    page: int = 1,
    created: bool = False,
    seed_failed: bool = False,
    seeded: int | None = None,
    model: str = "",
    terms: bool = False,
    policy: bool = False,
    federation: str = "",
) -> Response:
    dataset = dataset_or_404(web, dataset_id)
    notice = {
        "created": created,
        "seed_failed": seed_failed,
        "seeded": seeded,
        "model": model if model in ("set", "removed") else "",
        "terms": terms,
        "policy_saved": policy,
        "federation": federation == "started",
    }
    return render_dataset(
        web, dataset, status=status, label=label, contributor=contributor, page=page, notice=notice
    )
