"""The browser-wallet path in a real browser: a stub EIP-1193 provider (``window.ethereum``) whose
signatures come from a test key held in Python, linked to the account and then signing each image's
EIP-712 contribution, which the server checks and relays with that wallet as the contributor."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount

from tests.sdk.live_server import LiveServer
from tests.web.browser_support import DESKTOP, Visit
from tests.web.web_helpers import PASSWORD, picture_png

# The provider a wallet extension would inject; every signature is asked of Python.
STUB_PROVIDER = """
(() => {
  const address = %(address)s;
  const chainId = %(chain_id)s;
  window.ethereum = {
    request: async ({ method, params }) => {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
      if (method === "eth_chainId") return chainId;
      const [first, second] = params || [];
      if (method === "personal_sign") return await window.testWalletPersonalSign(first, second);
      if (method === "eth_signTypedData_v4") return await window.testWalletSignTypedData(first, second);
      const error = new Error("The test wallet does not support " + method);
      error.code = 4200;
      throw error;
    },
  };
})();
"""


class StubWallet:
    """The key behind the stub provider; it records what it was asked to sign."""

    def __init__(self) -> None:
        self.account: LocalAccount = Account.create()
        self.messages: list[str] = []
        self.typed: list[dict[str, Any]] = []

    def personal_sign(self, data: str, address: str) -> str:
        assert address.lower() == self.account.address.lower()
        text = bytes.fromhex(data[2:]).decode("utf-8")
        self.messages.append(text)
        return "0x" + self.account.sign_message(encode_defunct(text=text)).signature.hex()

    def sign_typed_data(self, address: str, payload: str) -> str:
        assert address.lower() == self.account.address.lower()
        typed = json.loads(payload)
        self.typed.append(typed)
        return "0x" + self.account.sign_message(encode_typed_data(full_message=typed)).signature.hex()


def test_a_browser_wallet_links_and_signs_contributions_that_are_anchored_as_its_own(
    chromium: Any, server: LiveServer, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    wallet = StubWallet()
    ledger = server.services.handle.ledger
    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    visit.context.expose_function("testWalletPersonalSign", wallet.personal_sign)
    visit.context.expose_function("testWalletSignTypedData", wallet.sign_typed_data)
    visit.context.add_init_script(
        STUB_PROVIDER
        % {"address": json.dumps(wallet.account.address), "chain_id": json.dumps(hex(ledger.chain_id))}
    )

    page.goto("/register")
    page.fill("#username", "wendy")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/dashboard")
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
