"""EIP-712 signatures for relayed contributions.

A contributor signs (contentHash, label, contributor, deadline) for one dataset on one chain; the
dataset contract checks it in ``submitFor``. The server signs with custodial keys; a browser or CLI
wallet produces the same typed data.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

DOMAIN_NAME = "SeBRUS Dataset"
DOMAIN_VERSION = "1"

CONTRIBUTION_TYPES: dict[str, list[dict[str, str]]] = {
    "Contribution": [
        {"name": "contentHash", "type": "bytes32"},
        {"name": "label", "type": "uint16"},
        {"name": "contributor", "type": "address"},
        {"name": "deadline", "type": "uint256"},
    ]
}


def contribution_typed_data(
    *, chain_id: int, dataset: str, content_hash: bytes, label: int, contributor: str, deadline: int
) -> dict[str, Any]:
    """The full EIP-712 payload, as a wallet's ``eth_signTypedData_v4`` expects it."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **CONTRIBUTION_TYPES,
        },
        "primaryType": "Contribution",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": dataset,
        },
        "message": {
            "contentHash": content_hash,
            "label": label,
            "contributor": contributor,
            "deadline": deadline,
        },
    }


def sign_contribution(
    signer: LocalAccount, *, chain_id: int, dataset: str, content_hash: bytes, label: int, deadline: int
) -> bytes:
    typed = contribution_typed_data(
        chain_id=chain_id,
        dataset=dataset,
        content_hash=content_hash,
        label=label,
        contributor=signer.address,
        deadline=deadline,
    )
    return bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)


def recover_contributor(
    signature: bytes,
    *,
    chain_id: int,
    dataset: str,
    content_hash: bytes,
    label: int,
    contributor: str,
    deadline: int,
) -> str:
    """Who signed this contribution; lets the server refuse a bad signature before paying gas."""
    typed = contribution_typed_data(
        chain_id=chain_id,
        dataset=dataset,
        content_hash=content_hash,
        label=label,
        contributor=contributor,
        deadline=deadline,
    )
    recovered: str = Account.recover_message(encode_typed_data(full_message=typed), signature=signature)
    return recovered
