"""A dataset's releases: the list anyone may read, zip downloads of each, and the owner's publish form.

Publishing is CSRF-checked and owner-only (``services/releases.publish_release`` refuses anyone else
with 403 before the chain is touched); it signs with the owner's custodial wallet, like the API. The
downloads write the release with the export library (``services/release_archive.py``) and stream the zip.
"""

from __future__ import annotations

import shutil
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from sebrus.db.models import Dataset, User
from sebrus.releases.export import ExportError
from sebrus.services import release_archive, releases
from sebrus.services.errors import NotFound, ServiceError
from sebrus.services.review.chain_link import ChainUnavailable
from sebrus.web.chain_info import chain_services
from sebrus.web.context import Web, WebRequest
from sebrus.web.errors import PageNotFound
from sebrus.web.form_actions import submit_form
from sebrus.web.forms import text
from sebrus.web.pages.dataset import dataset_or_404
from sebrus.web.pages.releases import render_releases

router = APIRouter()

DatasetId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Version = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/datasets/{dataset_id}/releases")
def releases_page(web: Web, dataset_id: DatasetId, published: int | None = None) -> Response:
    return render_releases(web, dataset_or_404(web, dataset_id), published=published)


def _publish(web: WebRequest, dataset_id: int, user: User, form: FormData) -> str:
    dataset = web.db.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"Dataset {dataset_id} not found.")
    services = chain_services(web.request)
    if services is None:
        raise ChainUnavailable("No chain is attached to this server, so nothing can be published.")
    done = releases.publish_release(
        web.db, link=services.link, dataset=dataset, user=user, notes=text(form, "notes")
    )
    return f"/datasets/{dataset_id}/releases?published={done.release.version}"


def _refused(web: WebRequest, dataset_id: int, form: FormData, message: str, status: int) -> Response:
    dataset = dataset_or_404(web, dataset_id)
    return render_releases(web, dataset, notes=text(form, "notes"), error=message, status_code=status)


@router.post("/datasets/{dataset_id}/releases")
async def publish(web: Web, dataset_id: DatasetId) -> Response:
    return await submit_form(web, partial(_publish, web, dataset_id), partial(_refused, web, dataset_id))


@router.get("/datasets/{dataset_id}/releases/{version}/export.zip")
def download(web: Web, dataset_id: DatasetId, version: Version, format: str = "imagefolder") -> Response:
    dataset = dataset_or_404(web, dataset_id)
    release = releases.find_release(web.db, dataset, version)
    if release is None:
        raise PageNotFound(f"Dataset {dataset_id} has no release {version}.")
    scratch = release_archive.scratch_folder()
    try:
        archive = release_archive.write_release_zip(
            web.db, web.state.blobs, dataset, release, format, scratch
        )
    except (ServiceError, ExportError) as refused:
        shutil.rmtree(scratch, ignore_errors=True)
        status = 400 if isinstance(refused, ServiceError) else 500
        message = refused.message if isinstance(refused, ServiceError) else f"The export failed: {refused}"
        return render_releases(web, dataset, error=message, status_code=status)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return web.finish(
        FileResponse(
            archive,
            media_type="application/zip",
            filename=archive.name,
            background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
        )
    )
