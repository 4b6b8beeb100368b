"""The profile's review sections: a reviewer's votes, earnings and reputation, and the owner's allow-list
and reward pool driven through the page's forms (each checked against the chain, not just the page)."""

from __future__ import annotations

import hashlib
import html
import itertools
import re

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sebrus.platform import ChainServices
from sebrus.services.errors import InvalidInput
from sebrus.web.routes.owner_review import eth_to_wei
from tests.support.images import png
from tests.support.web import browser, create_dataset, csrf_from, register

_names = itertools.count()
ETH = 10**18


def unique(name: str) -> str:
    return f"{name} {next(_names)}"


def address_of(client: TestClient) -> str:
    found = re.search(
        r'Address</dt><dd><code class="address">(0x[0-9a-fA-F]{40})', client.get("/profile").text
    )
    assert found is not None
    return found.group(1)


def rows_with(page: str, marker: str) -> list[str]:
    """The table rows of ``page`` that mention ``marker``."""
    return [row for row in re.findall(r"<tr>.*?</tr>", page, flags=re.S) if marker in row]


def section(page: str, dataset_id: int) -> str:
    start = page.index(f'id="dataset-{dataset_id}"')
    end = page.find('<section class="card owner-panel"', start + 1)
    return page[start : end if end != -1 else len(page)]


def field_block(page: str, field_id: str) -> str:
    start = page.index(f'<label for="{field_id}"')
    wrapper = page.rindex('<div class="field', 0, start)
    return page[wrapper : page.index("</div>", page.index("<input", start))]


def post(client: TestClient, url: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_from(client.get("/profile").text)
    return client.post(url, data={"csrf_token": token, **data})


def api_voters(app: FastAPI, dataset_id: int) -> list[str]:
    answer = TestClient(app).get(f"/api/dataset/{dataset_id}/review/voters")
    assert answer.status_code == 200, answer.text
    return [v["address"] for v in answer.json()["voters"]]


def api_pool(app: FastAPI, dataset_id: int) -> int:
    answer = TestClient(app).get(f"/api/dataset/{dataset_id}/review/pool")
    assert answer.status_code == 200, answer.text
    return int(answer.json()["books"]["pool_wei"])


def upload(client: TestClient, dataset_id: int, seed: int) -> str:
    body = png(seed)
    page = client.get(f"/contribute?dataset={dataset_id}")
    sent = client.post(
        "/contribute",
        data={"csrf_token": csrf_from(page.text), "dataset": str(dataset_id), "label": "dog"},
        files=[("files", ("a.png", body, "image/png"))],
    )
    assert sent.status_code in (200, 303), sent.text
    return hashlib.sha256(body).hexdigest()


def test_a_reviewer_sees_votes_earnings_and_reputation_after_a_vote_and_a_claim(app: FastAPI) -> None:
    owner, contributor, reviewer = browser(app), browser(app), browser(app)
    register(owner)
    register(contributor)
    register(reviewer)
    name = unique("earn")
    ds = create_dataset(owner, name)
    sha = upload(contributor, ds, 7001)

    queue = reviewer.get(f"/review?dataset={ds}")
    assert sha in queue.text
    voted = reviewer.post(
        "/review/vote",
        data={"csrf_token": csrf_from(queue.text), "dataset": str(ds), "sha256": sha, "side": "approve"},
    )
    assert voted.status_code == 303, voted.text

    page = reviewer.get("/profile").text
    [by_dataset] = [r for r in rows_with(page, f'href="/datasets/{ds}"') if "<strong>" in r]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", by_dataset, flags=re.S)
    # votes, approve/reject, coherence, staked, claimed, net, reputation (100 * 2 / 3), flags
    assert cells[2:] == [
        "1",
        "1 / 0",
        "100% of 1",
        "0.001 ETH",
        "0 ETH",
        "-0.001 ETH",  # a won stake counts as spent until it is claimed
        "<strong>67</strong>",
        "none",
    ]
    [ballot] = [r for r in rows_with(page, "/items/") if name in r]
    assert "<td>Approve</td>" in ballot and ": resolved</td>" in ballot
    assert "badge-approved" in ballot and "not yet" in ballot
    assert "0.001 ETH</strong> waiting to be claimed on 1 vote" in page and 'href="/review"' in page

    round_index = re.search(r'name="round" value="(\d+)"', reviewer.get("/review").text)
    assert round_index is not None
    claimed = reviewer.post(
        "/review/claim",
        data={
            "csrf_token": csrf_from(page),
            "dataset": str(ds),
            "sha256": sha,
            "round": round_index.group(1),
        },
    )
    assert claimed.status_code == 303, claimed.text

    after = reviewer.get("/profile").text
    [by_dataset] = [r for r in rows_with(after, f'href="/datasets/{ds}"') if "<strong>" in r]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", by_dataset, flags=re.S)
    assert cells[6:8] == ["0.001 ETH", "0 ETH"]  # claimed the stake back: net zero
    [ballot] = [r for r in rows_with(after, "/items/") if name in r]
    assert "0.001 ETH" in ballot and "not yet" not in ballot
    assert "Nothing waiting to be claimed." in after

    # The owner sees the reviewer among the dataset's reviewers with the same reputation.
    owner_page = section(owner.get("/profile").text, ds)
    assert "Nobody has voted on this dataset yet." not in owner_page
    assert "<strong>67</strong>" in owner_page


def test_a_user_with_no_votes_sees_an_empty_state(app: FastAPI) -> None:
    client = browser(app)
    register(client)
    page = client.get("/profile").text
    assert "You have not voted yet." in page and "Nothing waiting to be claimed." in page
    assert "Datasets you own" not in page and "/profile/datasets/" not in page


def test_the_reviewing_section_says_not_available_without_a_review_network(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = browser(app)
    register(client)
    create_dataset(client, unique("offline"))
    monkeypatch.setattr("sebrus.web.pages.profile.review_chain", lambda request: None)
    page = client.get("/profile").text
    assert "Reviewing: not available yet" in page and "Review tools: not available yet" in page
    assert "/pool/fund" not in page


def test_an_owner_manages_the_allow_list_by_username_and_address(app: FastAPI) -> None:
    owner, reviewer = browser(app), browser(app)
    register(owner)
    username = register(reviewer)
    reviewer_address = address_of(reviewer)
    ds = create_dataset(owner, unique("listed"), voters="allow-list")

    first = section(owner.get("/profile").text, ds)
    assert "The policy lets only these wallets vote." in first and "Nobody is on the list." in first
    assert "the owner&#39;s allow-list" in first
    # The contract's numbering, as `sebrus dataset policy` prints it, with a date rather than seconds.
    assert "(version 0, for every item from the start)" in first

    added = post(owner, f"/profile/datasets/{ds}/voters", {"voter": username})
    assert added.status_code == 303
    assert added.headers["location"] == f"/profile?done=voter-added&dataset={ds}#dataset-{ds}"
    assert api_voters(app, ds) == [reviewer_address]
    listed = section(owner.get(added.headers["location"]).text, ds)
    assert "Added to the allow-list." in listed
    [row] = rows_with(listed, reviewer_address)
    assert f"<td>{username}</td>" in row and "Remove" in row

    removed = post(owner, f"/profile/datasets/{ds}/voters/remove", {"voter": reviewer_address})
    assert removed.status_code == 303
    assert api_voters(app, ds) == []
    assert "Nobody is on the list." in section(owner.get("/profile").text, ds)

    by_address = post(owner, f"/profile/datasets/{ds}/voters", {"voter": reviewer_address.lower()})
    assert by_address.status_code == 303
    assert api_voters(app, ds) == [reviewer_address]
    [row] = rows_with(section(owner.get("/profile").text, ds), reviewer_address)
    assert f"<td>{username}</td>" in row

    for typed, status, message in (
        ("0x1234", 400, "must be an Ethereum address"),
        ("nobody-here-at-all", 404, "There is no user"),
    ):
        refused = post(owner, f"/profile/datasets/{ds}/voters", {"voter": typed})
        assert refused.status_code == status, typed
        block = field_block(refused.text, f"voter-{ds}")
        assert message in block and f'value="{typed}"' in block and 'aria-invalid="true"' in block
    assert api_voters(app, ds) == [reviewer_address]


def test_an_owner_funds_and_withdraws_the_pool(app: FastAPI, services: ChainServices) -> None:
    owner = browser(app)
    register(owner)
    owner_address = address_of(owner)
    ds = create_dataset(owner, unique("pool"))
    ledger = services.handle.ledger

    before = ledger.balance(owner_address)
    funded = post(owner, f"/profile/datasets/{ds}/pool/fund", {"fund_eth": "0.01"})
    assert funded.status_code == 303
    assert funded.headers["location"] == f"/profile?done=funded&dataset={ds}#dataset-{ds}"
    assert api_pool(app, ds) == ETH // 100
    assert before - ledger.balance(owner_address) >= ETH // 100
    shown = section(owner.get(funded.headers["location"]).text, ds)
    assert "The pool is funded." in shown
    assert "Available</dt><dd>0.01 ETH" in shown and "Funded</dt><dd>0.01 ETH" in shown

    withdrawn = post(owner, f"/profile/datasets/{ds}/pool/withdraw", {"withdraw_eth": "0.004"})
    assert withdrawn.status_code == 303
    assert api_pool(app, ds) == 6 * ETH // 1000
    shown = section(owner.get("/profile").text, ds)
    assert "Available</dt><dd>0.006 ETH" in shown and "Withdrawn</dt><dd>0.004 ETH" in shown

    too_much = post(owner, f"/profile/datasets/{ds}/pool/withdraw", {"withdraw_eth": "1"})
    assert too_much.status_code == 400  # refused by the ledger before anything is sent
    block = field_block(too_much.text, f"withdraw_eth-{ds}")
    assert "holds 0.006 ETH that may be withdrawn, not 1 ETH" in block and 'value="1"' in block
    assert api_pool(app, ds) == 6 * ETH // 1000


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("fund_eth", "abc", "Enter an amount of ETH"),
        ("fund_eth", "-1", "more than 0 ETH"),
        ("fund_eth", "0", "more than 0 ETH"),
        ("withdraw_eth", "0.0000000000000000001", "more than 18 decimal places"),
        ("withdraw_eth", "NaN", "more than 0 ETH"),
        ("fund_eth", "1e30", "too large"),
        ("fund_eth", "1e999999999", "too large"),
        ("withdraw_eth", "1e-999999999", "more than 18 decimal places"),
        ("fund_eth", "", "Enter an amount of ETH"),
    ],
)
def test_a_bad_amount_is_refused_beside_its_field_keeping_what_was_typed(
    app: FastAPI, field: str, typed: str, message: str
) -> None:
    owner = browser(app)
    register(owner)
    ds = create_dataset(owner, unique("amount"))
    action = "fund" if field == "fund_eth" else "withdraw"
    refused = post(owner, f"/profile/datasets/{ds}/pool/{action}", {field: typed})
    assert refused.status_code == 400
    block = field_block(refused.text, f"{field}-{ds}")
    assert message in block and 'aria-invalid="true"' in block
    assert f'value="{html.escape(typed)}"' in block
    assert api_pool(app, ds) == 0


def test_only_the_owner_may_use_the_owner_forms(app: FastAPI) -> None:
    owner, stranger = browser(app), browser(app)
    register(owner)
    stranger_name = register(stranger)
    ds = create_dataset(owner, unique("guarded"), voters="allow-list")
    assert f"/profile/datasets/{ds}/" not in stranger.get("/profile").text  # no forms for others' datasets

    for action, data in (
        ("voters", {"voter": stranger_name}),
        ("voters/remove", {"voter": stranger_name}),
        ("pool/fund", {"fund_eth": "0.01"}),
        ("pool/withdraw", {"withdraw_eth": "0.01"}),
    ):
        refused = post(stranger, f"/profile/datasets/{ds}/{action}", data)
        assert refused.status_code == 403, action
        assert (
            "Only the dataset&#39;s owner may" in refused.text
            or "Only the dataset's owner may" in refused.text
        )
    assert api_voters(app, ds) == [] and api_pool(app, ds) == 0

    missing = post(stranger, "/profile/datasets/999999/pool/fund", {"fund_eth": "0.01"})
    assert missing.status_code == 404


def test_owner_forms_without_the_csrf_token_are_refused(app: FastAPI) -> None:
    owner, reviewer = browser(app), browser(app)
    register(owner)
    username = register(reviewer)
    ds = create_dataset(owner, unique("forged"), voters="allow-list")
    for action, data in (
        ("voters", {"voter": username}),
        ("pool/fund", {"fund_eth": "0.01"}),
    ):
        missing = owner.post(f"/profile/datasets/{ds}/{action}", data=data)
        assert missing.status_code == 403 and "Form refused" in missing.text
        forged = owner.post(f"/profile/datasets/{ds}/{action}", data={"csrf_token": "wrong", **data})
        assert forged.status_code == 403
    assert api_voters(app, ds) == [] and api_pool(app, ds) == 0


def test_eth_amounts_become_wei_exactly_up_to_the_contracts_limit() -> None:
    assert eth_to_wei(" 0.01 ", "fund_eth") == 10**16
    assert eth_to_wei("0.01 ETH", "fund_eth") == 10**16 and eth_to_wei("1000 wei", "fund_eth") == 1000
    assert eth_to_wei("1.000000000000000000000", "fund_eth") == ETH  # trailing zeros are not decimals
    assert eth_to_wei("79228162514.264337593543950335", "fund_eth") == 2**96 - 1  # 29 digits, no rounding
    with pytest.raises(InvalidInput, match="too large") as refused:
        eth_to_wei("79228162514.264337593543950336", "fund_eth")
    assert refused.value.field == "fund_eth"
