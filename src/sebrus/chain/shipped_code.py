"""Reading a SeBRUS contract on someone else's chain, trusting nothing local.

Offline verification (`sebrus verify`, `sebrus federate verify`) connects to a JSON-RPC URL and must
refuse a look-alike: the contract at the named address must carry exactly the runtime code SeBRUS
ships (the contracts read this way have no immutables, so the code is fixed).
"""

from __future__ import annotations

import json
from importlib import resources

from web3 import HTTPProvider, Web3
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import InvalidInput, LedgerError
from sebrus.chain.validation import checked_address


def shipped_contract_at(url: str, address: str, artifact: str, what: str) -> Contract:
    """The contract ``artifact`` at ``address`` on the chain at ``url``, refused unless its code is ours.

    ``what`` names the address in refusals ("registry address").
    """
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"the chain URL must be an http(s) JSON-RPC URL, got {url!r}")
    checked = checked_address(address, what)
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        code = bytes(w3.eth.get_code(checked))  # type: ignore[arg-type]
    except Exception as exc:
        raise LedgerError(f"cannot reach the chain at {url}: {exc}") from exc
    if code != bytes.fromhex(_deployed_bytecode(artifact).removeprefix("0x")):
        raise LedgerError(
            f"{checked} on {url} is not SeBRUS's {artifact} "
            + ("(no code there)" if not code else "(its code differs)")
        )
    contract: Contract = w3.eth.contract(address=checked, abi=load_artifact(artifact).abi)  # type: ignore[call-overload]
    return contract


def _deployed_bytecode(artifact: str) -> str:
    text = resources.files("sebrus.chain").joinpath("artifacts", f"{artifact}.json").read_text("utf-8")
    return str(json.loads(text)["deployedBytecode"])
