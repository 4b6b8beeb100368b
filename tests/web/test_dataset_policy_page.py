"""The owner changes the review policy from the dataset page: the form starts from the policy in force,
a refusal shows every error at once and keeps what was typed, amounts are typed in ETH, and the page
then names the new version (as the CLI counts it) and which items it applies to. Nobody else sees the
form, and a forged POST is refused."""

from __future__ import annotations

import html
import re

from fastapi import FastAPI

from tests.support.web import browser, create_dataset, csrf_from, field_block, register, submit

CHANGED = {
    "x": "2",
    "stake_eth": "0.01",
    "reward_eth": "0.0005",
    "voters": "allow-list",
    "deposit_eth": "0.002",
    "commit_reveal": "on",
    "commit_minutes": "30",
    "reveal_minutes": "15",
    "finalize_seconds": "120",
}


def _policy(client: object, dataset_id: int) -> dict[str, object]:
    answer = client.get(f"/api/dataset/{dataset_id}/review/policy")  # type: ignore[attr-defined]
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _value(page: str, name: str) -> str:
    found = re.search(rf'<input id="{name}" name="{name}" type="text"\s+value="([^"]*)"', page)
    assert found is not None, name
    return html.unescape(found.group(1))


def test_the_owner_changes_the_policy_from_the_dataset_page(app: FastAPI) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "policy pets")
    page_url = f"/datasets/{dataset_id}"
    action = f"/datasets/{dataset_id}/policy"
    before = _policy(owner, dataset_id)
    assert before["version"] == 0

    page = owner.get(page_url).text
    assert f'action="{action}"' in page
    assert "In force: version 0, for every item from the start." in page
    assert _value(page, "x") == "1" and _value(page, "stake_eth") == "0.001"  # the policy in force
    assert _value(page, "finalize_seconds") == str(before["policy"]["finalize_delay"])  # type: ignore[index]
    assert 'name="voters" value="open" checked' in page

    typed = {**CHANGED, "x": "101", "stake_eth": "lots", "reward_eth": "1000 gwei", "commit_minutes": "0"}
    refused = submit(owner, page_url, typed, action=action)
    assert refused.status_code == 400
    assert "from 0 to 100" in field_block(refused.text, "x")
    assert "amount of ETH" in field_block(refused.text, "stake_eth")
    assert "The reward" in field_block(refused.text, "reward_eth")
    assert "from 1 to" in field_block(refused.text, "commit_minutes")
    assert _value(refused.text, "stake_eth") == "lots" and _value(refused.text, "x") == "101"  # kept
    assert 'name="voters" value="allow-list" checked' in refused.text
    assert 'id="policy-change" open' in refused.text
    assert _policy(owner, dataset_id)["version"] == 0  # nothing changed

    saved = submit(owner, page_url, CHANGED, action=action)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{page_url}?policy=1#policy"
    after = _policy(owner, dataset_id)
    assert after["version"] == 1
    assert after["policy"] == {
        "x": 2,
        "stake_wei": str(10**16),
        "reward_wei": str(5 * 10**14),
        "voters": "allow-list",
        "deposit_wei": str(2 * 10**15),
        "commit_reveal": True,
        "commit_window": 1800,
        "reveal_window": 900,
        "finalize_delay": 120,
    }
    shown = owner.get(saved.headers["location"]).text
    notice = re.search(r'id="policy-saved">(.*?)</p>', shown, re.S)
    assert notice is not None
    assert re.search(r"version 1, for items submitted from \d{4}-\d\d-\d\d \d\d:\d\d UTC", notice.group(1))
    assert "Items submitted before then keep the version" in notice.group(1)
    assert _value(shown, "stake_eth") == "0.01" and _value(shown, "deposit_eth") == "0.002"
    assert "0.01 ETH" in shown and "the owner&#39;s allow-list" in shown  # the facts follow

    stranger = browser(app)
    register(stranger)
    their_page = stranger.get(page_url).text
    assert f'action="{action}"' not in their_page and "0.01 ETH" in their_page
    forged = stranger.post(action, data={"csrf_token": csrf_from(their_page), **CHANGED, "x": "5"})
    assert forged.status_code == 403 and "Only the dataset" in forged.text
    no_token = owner.post(action, data={**CHANGED, "x": "5"})
    assert no_token.status_code == 403
    assert _policy(owner, dataset_id)["version"] == 1
