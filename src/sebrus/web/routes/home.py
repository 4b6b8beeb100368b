"""Home: what SeBRUS does, and the state of the chain it anchors to."""

from __future__ import annotations

from fastapi import APIRouter, Response

from sebrus.services import browse
from sebrus.web.chain_info import chain_state
from sebrus.web.context import Web

router = APIRouter()


@router.get("/")
def home(web: Web, logged_out: bool = False) -> Response:
    datasets, items = browse.totals(web.db)
    return web.render(
        "home.html",
        {
            "chain": chain_state(web.request),
            "dataset_total": datasets,
            "item_total": items,
            "logged_out": logged_out,
        },
    )
