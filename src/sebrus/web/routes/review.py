"""Review: the reviewer's blind queue, votes with stakes, and claims.

The review network is not part of this server yet, so the page says so plainly instead of showing
an empty or invented queue. When it lands, its pages replace this handler (``review.html`` already
has the layout and the slot for the queue).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from sebrus.web.context import Web

router = APIRouter()


@router.get("/review")
def review(web: Web) -> Response:
    web.require_user()
    return web.render("review.html", {"available": False})
