"""EIP-712 signatures for relayed contributions.

A contributor signs (contentHash, label, contributor, deadline) for one dataset on one chain; the
dataset contract checks it in ``submitFor``. The server signs with custodial keys; a browser or CLI
wallet produces the same typed data.

The server's own signatures take a short cut: the EIP-712 digest is built from its fixed layout
(one domain separator per dataset, cached) and the hash signed directly. eth-account's general typed-data
encoder costs about 3 ms a signature, more than everything else an upload does; the short cut gives
the same bytes (tests/chain/test_signing.py compares both for random inputs) in a tenth of that,
signing with libsecp256k1 through coincurve (the backend eth-keys itself uses), its key object cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import coincurve
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address

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
    message = {"contentHash": content_hash, "label": label, "contributor": contributor, "deadline": deadline}
    return typed_data_payload(
        DOMAIN_NAME, DOMAIN_VERSION, chain_id, dataset, CONTRIBUTION_TYPES, "Contribution", message
    )


def typed_data_payload(
    name: str,
    version: str,
    chain_id: int,
    verifying_contract: str,
    types: dict[str, list[dict[str, str]]],
    primary_type: str,
    message: dict[str, Any],
) -> dict[str, Any]:
    """An EIP-712 payload under the domain every SeBRUS contract uses (name, version, chain id,
    verifying contract), in the shape ``eth_signTypedData_v4`` expects."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **types,
        },
        "primaryType": primary_type,
        "domain": {
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        "message": message,
    }


_DOMAIN_TYPEHASH = keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_CONTRIBUTION_TYPEHASH = keccak(
    b"Contribution(bytes32 contentHash,uint16 label,address contributor,uint256 deadline)"
)


def domain_separator(chain_id: int, dataset: str) -> bytes:
    return eip712_domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, dataset)


@lru_cache(maxsize=4096)
def eip712_domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """The domain separator, hashed from its fixed layout (cached: one per contract and chain)."""
    return keccak(
        _DOMAIN_TYPEHASH
        + keccak(name.encode())
        + keccak(version.encode())
        + chain_id.to_bytes(32, "big")
        + to_canonical_address(verifying_contract).rjust(32, b"\0")
    )


def contribution_digest(
    *, chain_id: int, dataset: str, content_hash: bytes, label: int, contributor: str, deadline: int
) -> bytes:
    """The EIP-712 digest a contributor signs, built from the Contribution type's fixed layout."""
    if len(content_hash) != 32 or not 0 <= label < 2**16 or not 0 <= deadline < 2**256:
        raise ValueError("a contribution needs a 32-byte hash, a uint16 label and a uint256 deadline")
    struct_hash = keccak(
        _CONTRIBUTION_TYPEHASH
        + content_hash
        + label.to_bytes(32, "big")
        + to_canonical_address(contributor).rjust(32, b"\0")
        + deadline.to_bytes(32, "big")
    )
    return keccak(b"\x19\x01" + domain_separator(chain_id, dataset) + struct_hash)


def sign_contribution(
    signer: LocalAccount, *, chain_id: int, dataset: str, content_hash: bytes, label: int, deadline: int
) -> bytes:
    digest = contribution_digest(
        chain_id=chain_id,
        dataset=dataset,
        content_hash=content_hash,
        label=label,
        contributor=signer.address,
        deadline=deadline,
    )
    return sign_digest(bytes(signer.key), digest)


def sign_digest(secret: bytes, digest: bytes) -> bytes:
    """A 65-byte (r, s, v) signature of an already-hashed EIP-712 digest."""
    recoverable = _secp256k1_key(secret).sign_recoverable(digest, hasher=None)
    return recoverable[:64] + bytes([recoverable[64] + 27])  # Ethereum's v is 27 or 28


@lru_cache(maxsize=1024)
def _secp256k1_key(secret: bytes) -> coincurve.PrivateKey:
    return coincurve.PrivateKey(secret)


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
