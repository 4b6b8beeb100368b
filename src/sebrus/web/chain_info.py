"""What the pages say about the chain, read from the ledger the platform attached (if any).

A page must still render when the node is slow or gone, so every read here turns a failure into
"unknown" plus a reason rather than an error page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request

from sebrus.chain.ledger import ChainItem
from sebrus.http.deps import chain_services, review_chain_of
from sebrus.services.review.chain import ReviewChain

__all__ = [
    "ChainState",
    "ServedNetwork",
    "balance_of",
    "chain_id_of",
    "chain_record",
    "chain_services",
    "chain_state",
    "review_chain",
    "served_network",
]

log = logging.getLogger(__name__)

BACKEND_NAMES = {
    "embedded": "Embedded Ethereum chain (py-evm, inside this server)",
    "rpc": "Ethereum JSON-RPC node",
}


@dataclass(frozen=True)
class ChainState:
    attached: bool
    network: str = ""
    chain_id: int | None = None
    block: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class ServedNetwork:
    """The embedded chain as a browser wallet adds it (``wallet_addEthereumChain``): served on /rpc."""

    chain_id: int
    name: str


def served_network(request: Request) -> ServedNetwork | None:
    """The network this server's /rpc serves, or None (an rpc backend: the wallet uses that node)."""
    services = chain_services(request)
    if services is None or services.rpc is None:
        return None
    host = request.url.hostname or "this server"
    return ServedNetwork(chain_id=services.handle.ledger.chain_id, name=f"SeBRUS ({host})")


def chain_id_of(request: Request) -> int | None:
    """The chain id a browser wallet must be on to sign for this server, or None (no chain, or the
    node did not answer): what the pages tell a visitor who has no wallet yet."""
    services = chain_services(request)
    if services is None:
        return None
    try:
        chain_id: int = services.handle.ledger.chain_id
        return chain_id
    except Exception as exc:  # a page must render even when the node is down
        log.warning("chain id unavailable: %s", exc)
        return None


def chain_state(request: Request) -> ChainState:
    services = chain_services(request)
    if services is None:
        return ChainState(attached=False, problem="No chain is attached to this server.")
    handle = services.handle
    network = BACKEND_NAMES.get(handle.backend, handle.backend)  # never the URL: it may embed an API key
    try:
        ledger = handle.ledger
        return ChainState(
            attached=True, network=network, chain_id=ledger.chain_id, block=ledger.block_number()
        )
    except Exception as exc:  # a page must render even when the node is down
        log.warning("chain state unavailable: %s", exc)
        return ChainState(attached=True, network=network, problem="The chain node did not answer.")


def balance_of(request: Request, address: str) -> int | None:
    services = chain_services(request)
    if services is None:
        return None
    try:
        balance: int = services.handle.ledger.balance(address)
        return balance
    except Exception as exc:
        log.warning("balance of %s unavailable: %s", address, exc)
        return None


def chain_record(request: Request, dataset_address: str, content_hash: str) -> ChainItem | None:
    """The item as the contract holds it now, to show beside the index's copy."""
    services = chain_services(request)
    if services is None:
        return None
    try:
        return services.handle.ledger.get_item(dataset_address, content_hash)
    except Exception as exc:
        log.warning("chain record of %s unavailable: %s", content_hash, exc)
        return None


def review_chain(request: Request) -> ReviewChain | None:
    """The review network as the services take it, or None when this server does not run one."""
    services = chain_services(request)
    if services is None or services.link.reviews is None or not services.link.reviews.is_deployed:
        return None
    return review_chain_of(services)
