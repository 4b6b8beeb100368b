"""A browser wallet for the browser tests: a stub EIP-1193 provider (``window.ethereum``) whose
signatures and transactions come from a test key held in Python, so a test can check what the page
asked the wallet to sign or send."""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount

from tests.support.browser import Visit
from tests.support.live_server import LiveServer

# The provider a wallet extension would inject; every signature and send is asked of Python.
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
      if (method === "eth_sendTransaction") return await window.testWalletSendTransaction(first);
      if (method === "wallet_addEthereumChain") return await window.testWalletAddChain(first);
      const error = new Error("The test wallet does not support " + method);
      error.code = 4200;
      throw error;
    },
  };
})();
"""


class StubWallet:
    """The key behind the stub provider: it signs as a wallet would, sends through the server's
    ledger, and records what it was asked to sign and send."""

    def __init__(self, server: LiveServer) -> None:
        self.account: LocalAccount = Account.create()
        self.ledger = server.services.handle.ledger
        self.messages: list[str] = []
        self.typed: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.added_chains: list[dict[str, Any]] = []

    def install(self, visit: Visit) -> None:
        """Inject the provider into every page of the visit's browser context."""
        visit.context.expose_function("testWalletPersonalSign", self.personal_sign)
        visit.context.expose_function("testWalletSignTypedData", self.sign_typed_data)
        visit.context.expose_function("testWalletSendTransaction", self.send_transaction)
        visit.context.expose_function("testWalletAddChain", self.add_chain)
        visit.context.add_init_script(
            STUB_PROVIDER
            % {
                "address": json.dumps(self.account.address),
                "chain_id": json.dumps(hex(self.ledger.chain_id)),
            }
        )

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

    def add_chain(self, network: dict[str, Any]) -> None:
        """wallet_addEthereumChain: a wallet would ask its user, then answer null."""
        self.added_chains.append(network)

    def send_transaction(self, tx: dict[str, Any]) -> str:
        """eth_sendTransaction: the wallet picks the nonce and EIP-1559 fees, signs, and sends raw."""
        assert tx["from"].lower() == self.account.address.lower()
        assert int(tx["chainId"], 16) == self.ledger.chain_id
        self.sent.append(tx)
        signed = self.account.sign_transaction(
            {
                "to": tx["to"],
                "data": tx["data"],
                "value": int(tx["value"], 16),
                "gas": int(tx["gas"], 16),
                "chainId": self.ledger.chain_id,
                "nonce": self.ledger.pending_nonce(self.account.address),
                **self.ledger.fee_suggestion(),
            }
        )
        return self.ledger.send_raw_transaction(signed.raw_transaction)
