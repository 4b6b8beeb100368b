"""The browser-wallet path in a real browser: a stub EIP-1193 provider (``window.ethereum``) whose
signatures come from a test key held in Python, linked to the account and then signing each image's
EIP-712 contribution, which the server checks and relays with that wallet as the contributor. Runs on the
embedded chain and on a real JSON-RPC node (anvil)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from tests.support.browser import DESKTOP, Visit, register_in_browser
from tests.support.images import picture_png
from tests.support.live_server import LiveServer
from tests.support.stub_wallet import StubWallet


def test_a_browser_wallet_links_and_signs_contributions_that_are_anchored_as_its_own(
    chromium: Any, wallet_server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    wallet = StubWallet(wallet_server)
    ledger = wallet_server.services.handle.ledger
    visit = Visit(chromium, wallet_server.url, DESKTOP, "desktop")
    page = visit.page
    wallet.install(visit)

    register_in_browser(page, "wendy")
    page.goto("/datasets/new")
    page.fill("#name", "Landscapes")
    page.fill("#labels", "sunny, cloudy")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))
    address = re.search(r"0x[0-9a-fA-F]{40}", page.inner_text(".alert-success")).group(0)  # type: ignore[union-attr]

    page.click("text=Contribute to this dataset")
    page.wait_for_load_state("load")
    expect(page.locator("#signer-choice")).to_be_visible()
    page.check("#signer-browser")
    expect(page.locator("#wallet-status")).to_contain_text(
        f"Signing with your browser wallet {wallet.account.address}"
    )
    assert len(wallet.messages) == 1 and "link this wallet to your account" in wallet.messages[0]

    images = []
    for seed in (1, 2):
        path = tmp_path / f"sky-{seed}.png"
        path.write_bytes(picture_png(40 + seed))
        images.append(path)
    page.select_option("#label", "cloudy")
    page.set_input_files("#files", [str(p) for p in images])
    page.click("button:has-text('Upload')")
    expect(page.locator("#file-list .file-ok")).to_have_count(2, timeout=30_000)
    assert "anchored on chain" in page.inner_text("#file-list")
    visit.shot("contribute-browser-wallet")

    assert len(wallet.typed) == 2
    for typed, path in zip(wallet.typed, images, strict=True):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert typed["domain"]["verifyingContract"].lower() == address.lower()
        assert typed["domain"]["chainId"] == ledger.chain_id
        assert typed["message"]["contentHash"] == "0x" + digest
        assert typed["message"]["contributor"] == wallet.account.address and typed["message"]["label"] == 1
        record = ledger.get_item(address, digest)
        assert record is not None and record.contributor == wallet.account.address
    assert ledger.balance(wallet.account.address) == 0  # the relayer paid for both

    page.click("#view-dataset")
    page.wait_for_selector(".thumb img")
    assert page.locator(".thumb").count() == 2 and "by wendy" in page.inner_text(".thumb >> nth=0")
    page.goto("/profile")
    assert wallet.account.address in page.inner_text("main")  # listed among the linked wallets
    visit.close()


def test_the_wallet_is_offered_the_servers_own_network_when_the_chain_is_embedded(
    chromium: Any, wallet_server: LiveServer
) -> None:
    """ "Add this server's network" hands the wallet this origin's /rpc, which serves that chain id."""
    from playwright.sync_api import expect
    from web3 import HTTPProvider, Web3

    wallet = StubWallet(wallet_server)
    visit = Visit(chromium, wallet_server.url, DESKTOP, "desktop")
    page = visit.page
    wallet.install(visit)
    register_in_browser(page, "nora")
    page.goto("/contribute")
    expect(page.locator("#signer-choice")).to_be_visible()
    button = page.locator("#signer-choice [data-add-network]")
    if wallet_server.services.rpc is None:  # an rpc backend: the wallet uses that node, not this server
        expect(button).to_have_count(0)
        visit.close()
        return
    button.click()
    expect(page.locator("#signer-choice [data-add-network-status]")).to_contain_text("now knows chain")
    ledger = wallet_server.services.handle.ledger
    assert wallet.added_chains == [
        {
            "chainId": hex(ledger.chain_id),
            "chainName": "SeBRUS (127.0.0.1)",
            "rpcUrls": [f"{wallet_server.url}/rpc"],
            "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        }
    ]
    served = Web3(HTTPProvider(wallet.added_chains[0]["rpcUrls"][0]))
    assert served.eth.chain_id == ledger.chain_id
    visit.close()
