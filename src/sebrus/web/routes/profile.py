"""Profile: who you are here, your wallet and its balance, what became of your uploads, your votes and
earnings as a reviewer, and, for owners, each dataset's allow-list and reward pool.

``render_profile`` is shared with the owner's forms (``owner_review.py``), which show the page again
with a refusal beside the field that caused it.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from sebrus.web.context import Web
from sebrus.web.pages.profile import render_profile

router = APIRouter()

DONE = {
    "voter-added": "Added to the allow-list.",
    "voter-removed": "Removed from the allow-list.",
    "funded": "The pool is funded.",
    "withdrawn": "Withdrawn from the pool to your wallet.",
    "deposits": "Every deposit due is paid: those items are open to review.",
}


@router.get("/profile")
def profile(web: Web, page: int = 1, done: str = "", dataset: str = "") -> Response:
    web.require_user()
    notice_for = int(dataset) if dataset.isascii() and dataset.isdigit() and len(dataset) < 18 else None
    return render_profile(web, page=page, notice=DONE.get(done, ""), notice_for=notice_for)
