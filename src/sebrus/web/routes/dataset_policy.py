"""The owner changes the review policy from the dataset page, as ``PUT .../review/policy`` does.

The form's fields are read by ``web/policy_form.py`` (the Create form's reader: amounts in ETH through
the one converter), every problem is shown beside its field at once, and what was typed stays. The
change is signed by the owner's custodial wallet (``services/review/owner.py``) and applies to items
submitted from the next block on: the contract judges each item by the version in force when it was
submitted, so items already submitted keep theirs.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from sebrus.http.errors import status_code_for
from sebrus.services.errors import ServiceError
from sebrus.services.review import owner as review_owner
from sebrus.web.chain_info import review_chain
from sebrus.web.context import Web
from sebrus.web.forms import FormErrors
from sebrus.web.pages.dataset import dataset_or_404, render_dataset
from sebrus.web.policy_form import read_policy
from sebrus.web.policy_panel import NO_NETWORK

router = APIRouter()

NOT_OWNER = "Only the dataset's owner changes its review policy."


@router.post("/datasets/{dataset_id:int}/policy")
async def change_policy(web: Web, dataset_id: int) -> Response:
    user = web.require_user()
    dataset = dataset_or_404(web, dataset_id)
    form = await web.form()
    if dataset.owner_id != user.id:  # their page has no policy form to show this beside
        return web.render(
            "problem.html", {"title": "Not your dataset", "message": NOT_OWNER}, status_code=403
        )
    errors = FormErrors()
    values, policy = read_policy(form, errors)
    chain = review_chain(web.request)
    if chain is None:
        errors.add("review_policy", NO_NETWORK)
    status = 400
    if not errors and chain is not None:
        try:
            await run_in_threadpool(review_owner.set_policy, web.db, chain, dataset, user, policy)
        except ServiceError as exc:
            web.db.rollback()
            errors.add("review_policy", exc.message.replace("`", ""))
            status = status_code_for(exc)
        else:
            return web.finish(RedirectResponse(f"/datasets/{dataset.id}?policy=1#policy", status_code=303))
    notice = {"policy_errors": errors, "policy_values": values}
    return render_dataset(web, dataset, notice=notice, status_code=status)
