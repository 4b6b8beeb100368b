"""Dashboard (every dataset), Create a Dataset, and one dataset's items as thumbnails."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.db.models import DEFAULT_MAX_BYTES, Dataset, ItemStatus
from sebrus.services import browse, datasets
from sebrus.services.errors import Conflict, InvalidInput, ServiceError
from sebrus.services.pagination import PageRequest
from sebrus.web.context import Web
from sebrus.web.errors import PageNotFound
from sebrus.web.forms import FormErrors, optional_int, text
from sebrus.web.paging import Pager

router = APIRouter()

DASHBOARD_PAGE = 20
ITEMS_PAGE = 24
MIB = 1024 * 1024
# Service field names -> the form's own field names, so each error lands beside its input.
FIELD_OF = {"datasetName": "name", "max_bytes": "max_mb", "labels": "labels", "description": "description"}
BOUNDS = ("min_width", "max_width", "min_height", "max_height")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def dataset_or_404(web: Web, dataset_id: int) -> Dataset:
    dataset = web.db.get(Dataset, dataset_id)
    if dataset is None:
        raise PageNotFound(f"There is no dataset {dataset_id}.")
    return dataset


def describe_policy(dataset: Dataset) -> str:
    policy = dataset.review_policy or {}
    if not policy:
        return "Not set: reviewer voting is not available yet."
    return ", ".join(f"{key}: {value}" for key, value in sorted(policy.items()))


@router.get("/dashboard")
def dashboard(web: Web, q: str = "", page: int = 1) -> Response:
    pager = Pager.from_page(page, DASHBOARD_PAGE)
    found = browse.search_datasets(web.db, q, PageRequest(limit=pager.size, offset=pager.offset))
    counts = browse.status_counts(web.db, [d.id for d in found.items])
    owners = browse.usernames(web.db, [d.owner_id for d in found.items])
    rows = [
        {
            "dataset": d,
            "counts": counts[d.id],
            "owner": owners.get(d.owner_id or 0),
            "policy": describe_policy(d),
        }
        for d in found.items
    ]
    return web.render(
        "dashboard.html",
        {"q": q, "rows": rows, "pager": pager.with_total(found.total, {"q": q} if q else {})},
    )


def _blank_values() -> dict[str, str]:
    return {"name": "", "description": "", "labels": "", "max_mb": str(DEFAULT_MAX_BYTES // MIB)}


@router.get("/datasets/new")
def new_dataset_form(web: Web) -> Response:
    web.require_user()
    return web.render("dataset_new.html", {"values": _blank_values(), "errors": FormErrors()})


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
    form = await web.form()
    values = {key: text(form, key) for key in ("name", "description", "labels", "max_mb", *BOUNDS)}
    errors = FormErrors()
    labels = parse_labels(values["labels"])
    if not values["name"].strip():
        errors.add("name", "Give the dataset a name.")
    if not labels:
        errors.add("labels", "List at least one label, such as cat, dog.")
    max_bytes = _max_bytes(values["max_mb"], errors)
    bounds = {
        key: optional_int(form, key, errors, label=key.replace("_", " ").capitalize()) for key in BOUNDS
    }
    dataset = None
    if not errors:
        spec = datasets.DatasetSpec(
            name=values["name"],
            description=values["description"],
            labels=labels,
            max_bytes=max_bytes,
            min_width=bounds["min_width"],
            max_width=bounds["max_width"],
            min_height=bounds["min_height"],
            max_height=bounds["max_height"],
        )
        try:
            dataset = await run_in_threadpool(
                datasets.register_dataset, web.db, user, spec, web.state.hooks.dataset_anchor
            )
        except Conflict:
            taken = values["name"].strip()
            errors.add("name", f"A dataset named {taken!r} already exists; choose another name.")
        except InvalidInput as refused:
            errors.add(
                FIELD_OF.get(refused.field or "", refused.field or "form"), refused.message.replace("`", "")
            )
        except ServiceError as refused:
            errors.add("form", refused.message)
    if dataset is None:
        return web.render("dataset_new.html", {"values": values, "errors": errors}, status_code=400)
    return web.finish(RedirectResponse(f"/datasets/{dataset.id}?created=1", status_code=303))


def _item_filter(status: str, label: str, contributor: str) -> tuple[browse.ItemFilter, dict[str, str]]:
    """The filter the query string asks for, ignoring values that cannot match rather than failing."""
    chosen: dict[str, str] = {}
    wanted_status = None
    if status in {s.value for s in ItemStatus}:
        wanted_status = ItemStatus(status)
        chosen["status"] = status
    if label:
        chosen["label"] = label[:128]
    address = contributor.strip()
    if address and _ADDRESS.fullmatch(address):
        chosen["contributor"] = address
    wanted = browse.ItemFilter(
        status=wanted_status, label=chosen.get("label"), contributor=chosen.get("contributor")
    )
    return wanted, chosen


@router.get("/datasets/{dataset_id:int}")
def dataset_page(
    web: Web,
    dataset_id: int,
    status: str = "",
    label: str = "",
    contributor: str = "",
    page: int = 1,
    created: bool = False,
) -> Response:
    dataset = dataset_or_404(web, dataset_id)
    wanted, chosen = _item_filter(status, label, contributor)
    pager = Pager.from_page(page, ITEMS_PAGE)
    found = browse.dataset_items(web.db, dataset, wanted, PageRequest(limit=pager.size, offset=pager.offset))
    names = browse.usernames(web.db, [i.contributor_user_id for i in found.items])
    context: dict[str, Any] = {
        "dataset": dataset,
        "status_counts": browse.status_counts(web.db, [dataset.id])[dataset.id],
        "owner": browse.usernames(web.db, [dataset.owner_id]).get(dataset.owner_id or 0),
        "policy": describe_policy(dataset),
        "items": found.items,
        "names": names,
        "chosen": chosen,
        "bad_contributor": bool(contributor.strip()) and "contributor" not in chosen,
        "pager": pager.with_total(found.total, chosen),
        "created": created,
        "contribute_url": "/contribute?" + urlencode({"dataset": dataset.id}),
    }
    return web.render("dataset.html", context)
