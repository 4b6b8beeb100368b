"""One item's page: the image and its provenance, addressed by the item's id in the index.

The id is the index's own (``/items/42``); the page also names the item the way the chain and the
blob store do, by dataset and sha256, and links the REST resource that uses that name. Its contributor
pays and takes back the item's review deposit here (the forms post to ``item_deposit.py``, which
renders this page again with the refusal when the chain says no).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response

from sebrus.web.context import Web
from sebrus.web.pages.item import render_item

log = logging.getLogger(__name__)

router = APIRouter()


DONE = {
    "deposit": "Deposit paid: the item is open to review.",
    "deposit-claim": "Deposit taken back: it is in your wallet.",
}


@router.get("/items/{item_id:int}")
def item_page(web: Web, item_id: int, done: str = "") -> Response:
    return render_item(web, item_id, notice=DONE.get(done, ""))
