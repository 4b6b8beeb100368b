"""Scans: every dataset's scans in one list, start a scan (owner only), watch it run, read its report.

The page polls ``GET /api/scans/{id}`` while the scan runs (``static/js/scan.js``) and reloads when
it ends. The report's figures are served here as same-origin PNGs (``services/scans/plots.py``): the
pages' Content-Security-Policy refuses the ``data:`` images the standalone HTML report embeds, and
that report refuses to be framed, so the page links to it instead of embedding it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.blobs.base import BlobError
from sebrus.db.models import Dataset, Scan, ScanScope, ScanState, User
from sebrus.services import browse
from sebrus.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceError
from sebrus.services.pagination import PageRequest
from sebrus.services.scans import queries as scan_queries
from sebrus.services.scans import start as scan_start
from sebrus.services.scans.plots import Plot, scan_plot, scan_plots
from sebrus.web.chain_info import chain_services
from sebrus.web.context import Web, WebRequest
from sebrus.web.errors import PageNotFound
from sebrus.web.forms import FormErrors, text
from sebrus.web.pages.dataset import dataset_or_404, render_dataset
from sebrus.web.paging import Pager

log = logging.getLogger(__name__)
router = APIRouter()

FLAGGED_PAGE = 24
SCANS_PAGE = 20
SCOPES = {s.value for s in ScanScope}
SCOPE_PROBLEM = "Choose what to scan: every item, or only the items added since the last scan."
ROW_ID_MAX = 2**31 - 1


def _scan_or_404(web: Web, scan_id: int) -> Scan:
    scan = web.db.get(Scan, scan_id) if scan_id <= ROW_ID_MAX else None
    if scan is None:
        raise PageNotFound(f"There is no scan {scan_id}.")
    return scan


def _plots(web: Web, scan: Scan) -> tuple[list[Plot], str | None]:
    """The report's figures, or why there are none; a page renders either way."""
    if scan.report_sha256 is None:
        return [], None
    try:
        return scan_plots(web.state.blobs, scan), None
    except (BlobError, ServiceError, ValueError) as exc:
        log.warning("figures of scan %s unavailable: %s", scan.id, exc)
        return [], "The report's figures could not be drawn: its file is missing or unreadable."


@router.get("/scans/{scan_id:int}")
def scan_page(web: Web, scan_id: int, page: int = 1) -> Response:
    scan = _scan_or_404(web, scan_id)
    dataset = web.db.get(Dataset, scan.dataset_id)
    assert dataset is not None  # scans cascade with their dataset
    pager = Pager.from_page(page, FLAGGED_PAGE)
    flagged = scan_queries.flagged_results(web.db, scan, PageRequest(limit=pager.size, offset=pager.offset))
    plots, plots_problem = _plots(web, scan) if scan.state is ScanState.DONE else ([], None)
    user = web.user
    context: dict[str, Any] = {
        "scan": scan,
        "dataset": dataset,
        "active": scan.state in scan_queries.ACTIVE,
        "percent": round(scan.progress * 100),
        "quarantine": scan_queries.quarantine_counts(web.db, scan),
        "flagged": flagged.items,
        "pager": pager.with_total(flagged.total, {}),
        "plots": plots,
        "plot_groups": [  # the overview figures first, wide; then one small scatter per label
            [p for p in plots if not p.name.startswith("class-")],
            [p for p in plots if p.name.startswith("class-")],
        ],
        "plots_problem": plots_problem,
        "is_owner": user is not None and dataset.owner_id == user.id,
    }
    return web.render("scan.html", context)


@router.get("/scans/{scan_id:int}/plots/{name}.png")
def scan_figure(web: Web, scan_id: int, name: str) -> Response:
    scan = _scan_or_404(web, scan_id)
    try:
        plot = scan_plot(web.state.blobs, scan, name)
    except (NotFound, Conflict, BlobError, ValueError):
        raise PageNotFound(f"Scan {scan_id} has no figure {name!r}.") from None
    # The URL names one report, and a finished report never changes.
    return Response(plot.png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


async def _start(web: Web, user: User, dataset: Dataset, scope: str) -> Scan | tuple[str, int]:
    """Queue a scan of ``dataset``, or say why not: (message, status code)."""
    services = chain_services(web.request)
    jobs = services.scans if services is not None else None
    if jobs is None:
        return "This server has no chain attached, so it cannot scan.", 503
    if scope not in SCOPES:
        return SCOPE_PROBLEM, 400
    try:
        scan = await run_in_threadpool(
            scan_start.start_scan, web.db, dataset, user, scope=ScanScope(scope), backend=jobs.backend
        )
        await run_in_threadpool(jobs.submit, web.db, scan)
    except PermissionDenied as refused:
        return refused.message, 403
    except Conflict as refused:
        return refused.message, 409
    except InvalidInput as refused:
        return refused.message.replace("`", ""), 400
    except ServiceError as refused:  # the queue (Redis) is down: the scan is marked failed
        return refused.message, 503
    return scan


def _started(web: Web, scan: Scan) -> Response:
    return web.finish(RedirectResponse(f"/scans/{scan.id}", status_code=303))


@router.post("/datasets/{dataset_id:int}/scans")
async def start_scan(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    form = await web.form()
    dataset = dataset_or_404(web, dataset_id)
    started = await _start(web, user, dataset, text(form, "scope") or ScanScope.ALL.value)
    if isinstance(started, Scan):
        return _started(web, started)
    problem, status_code = started
    return render_dataset(web, dataset, notice={"scan_error": problem}, status_code=status_code)


def _dataset_filter(web: Web, raw: str) -> Dataset | None:
    raw = raw.strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise PageNotFound(f"There is no dataset {raw!r}.")
    return dataset_or_404(web, int(raw))


def render_scans(
    web: WebRequest,
    *,
    shown: Dataset | None = None,
    page: int = 1,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    """Every scan, newest first (or one dataset's), and for owners a form to start one."""
    pager = Pager.from_page(page, SCANS_PAGE)
    found = scan_queries.list_scans(web.db, shown, PageRequest(limit=pager.size, offset=pager.offset))
    user = web.user
    context: dict[str, Any] = {
        "scans": found.items,
        "names": browse.dataset_names(web.db, [s.dataset_id for s in found.items]),
        "shown": shown,
        "choices": browse.dataset_choices(web.db),
        "pager": pager.with_total(found.total, {"dataset": str(shown.id)} if shown else {}),
        "owned": [(str(d.id), d.name) for d in browse.owned_datasets(web.db, user)] if user else [],
        "values": values or {"dataset": str(shown.id) if shown else "", "scope": ScanScope.ALL.value},
        "errors": errors or FormErrors(),
    }
    return web.render("scans.html", context, status_code=status_code)


@router.get("/scans")
def scans_page(web: Web, dataset: str = "", page: int = 1) -> Response:
    return render_scans(web, shown=_dataset_filter(web, dataset), page=page)


@router.post("/scans")
async def start_scan_from_list(web: Web) -> Response:
    user = web.require_user()
    form = await web.form()
    values = {"dataset": text(form, "dataset").strip(), "scope": text(form, "scope") or ScanScope.ALL.value}
    raw = values["dataset"]
    dataset = web.db.get(Dataset, int(raw)) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
    errors = FormErrors()
    if dataset is None:
        errors.add("dataset", "Choose one of your datasets to scan.")
    if values["scope"] not in SCOPES:
        errors.add("scope", SCOPE_PROBLEM)
    if errors or dataset is None:
        return render_scans(web, values=values, errors=errors, status_code=400)
    started = await _start(web, user, dataset, values["scope"])
    if isinstance(started, Scan):
        return _started(web, started)
    problem, status_code = started
    errors.add("dataset", problem)  # who may scan it, a scan already running, its seed set
    return render_scans(web, values=values, errors=errors, status_code=status_code)
