"""The review page's page vote (``POST /review/votes``) without a browser: CSRF first, a page with no row
marked says so, a stale row is refused by name while the others settle, and a visitor without a
custodial wallet gets no page-vote form."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from sebrus.db.models import User, Wallet
from tests.support.platform import create_dataset, login, upload
from tests.support.web import browser, csrf_from, register

STAKE = 10**15


def test_the_page_vote_checks_csrf_names_stale_rows_and_reports_the_settlement_time(app: FastAPI) -> None:
    api = TestClient(app)
    owner, contributor = login(api, "pvw-owner"), login(api, "pvw-contrib")
    ds = int(create_dataset(api, owner, "page-vote-web", {"x": 3, "stake_wei": STAKE})["id"])
    first, second = (upload(api, contributor, ds, 8800 + n) for n in range(2))
    pages = browser(app)
    register(pages, "pvw-rev")
    page = pages.get(f"/review?dataset={ds}")
    assert page.status_code == 200
    assert 'action="/review/votes"' in page.text and f'name="vote:{first}"' in page.text
    token = csrf_from(page.text)

    forged = pages.post("/review/votes", data={"dataset": str(ds), f"vote:{first}": "approve"})
    assert forged.status_code == 403
    nothing = pages.post(
        "/review/votes", data={"csrf_token": token, "dataset": str(ds), f"vote:{first}": "skip"}
    )
    assert nothing.status_code == 400
    assert "Mark at least one item approve or reject before submitting the page." in nothing.text

    # The first row goes stale: the reviewer votes on it elsewhere before submitting the page.
    voted = pages.post(
        "/review/vote", data={"csrf_token": token, "dataset": str(ds), "sha256": first, "side": "approve"}
    )
    assert voted.status_code == 303, voted.text
    done = pages.post(
        "/review/votes",
        data={
            "csrf_token": token,
            "dataset": str(ds),
            f"vote:{first}": "approve",
            f"vote:{second}": "reject",
        },
    )
    assert done.status_code == 200, done.text
    assert "1 vote settled in " in done.text and "1 refused: see each entry." in done.text
    assert (
        f"<code>{first[:13]}</code> Approve: refused. Item {first[:13]}: You have already voted" in done.text
    )
    assert f"<code>{second[:13]}</code> Reject: settled, the item is pending." in done.text


def test_without_a_custodial_wallet_there_is_no_page_vote_form(app: FastAPI) -> None:
    api = TestClient(app)
    owner, contributor = login(api, "pvn-owner"), login(api, "pvn-contrib")
    ds = int(create_dataset(api, owner, "page-vote-none", {"x": 3, "stake_wei": STAKE})["id"])
    upload(api, contributor, ds, 8900)
    pages = browser(app)
    register(pages, "pvn-rev")
    with app.state.platform.session_factory() as db:
        user = db.scalar(select(User).where(User.username == "pvn-rev"))
        assert user is not None
        db.execute(delete(Wallet).where(Wallet.user_id == user.id))
        db.commit()
    page = pages.get(f"/review?dataset={ds}").text
    assert 'action="/review/votes"' not in page
    assert "Voting on a whole page at once goes through the server's wallet, and you have none" in page
