"""Scans: start a dataset scan, watch it run, read its report.

Platform scans are not part of this server yet; ``/scans/<id>`` answers 404 with a page that says
so, rather than a report that does not exist. The scans feature replaces this handler.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from sebrus.web.context import Web

router = APIRouter()


@router.get("/scans/{scan_id:int}")
def scan_page(web: Web, scan_id: int) -> Response:
    return web.render("scan.html", {"scan_id": scan_id, "available": False}, status_code=404)
