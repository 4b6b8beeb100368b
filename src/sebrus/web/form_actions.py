"""A logged-in form whose work may call the chain: checked, carried out off the event loop, answered.

The review page, the owner's profile forms and an item's deposit forms all answer the same way, so
the order that matters is kept here once: the visitor must be logged in (else the login page), the
CSRF token is checked before any work, the work runs in a worker thread (chain calls block the event
loop), a refusal rolls the database back before the page is rendered again with the message and the
refusal's 4xx status, and a success redirects with 303 so a reload does not submit twice.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from sebrus.db.models import User
from sebrus.http.errors import status_code_for
from sebrus.services.errors import ServiceError
from sebrus.web.context import WebRequest

# Does what the form asks; returns where to send the visitor next.
Work = Callable[[User, FormData], str]
# The page again, showing the refusal: (the submitted form, message, status code).
Refused = Callable[[FormData, str, int], Response]


async def submit_form(web: WebRequest, work: Work, refused: Refused) -> Response:
    user = web.require_user()
    form = await web.form()
    return await run_in_threadpool(_carry_out, web, user, form, work, refused)


def _carry_out(web: WebRequest, user: User, form: FormData, work: Work, refused: Refused) -> Response:
    try:
        target = work(user, form)
    except ServiceError as exc:
        web.db.rollback()
        return refused(form, exc.message, status_code_for(exc))
    return web.finish(RedirectResponse(target, status_code=303))
