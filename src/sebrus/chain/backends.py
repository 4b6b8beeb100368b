"""Open the configured chain: the embedded py-evm chain by default, any JSON-RPC node otherwise.

The two differ only in how the ``Web3`` object is built, where the operator keys come from, and
whether calls are serialised; everything else is the same :class:`Ledger`.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import TYPE_CHECKING

from web3 import HTTPProvider, Web3

from sebrus.chain.deployments import (
    load_deployment,
    load_review_deployment,
    save_deployment,
    save_review_deployment,
)
from sebrus.chain.errors import LedgerError
from sebrus.chain.ledger import Ledger
from sebrus.chain.operators import (
    Operators,
    load_keystore_operators,
    load_or_create_dev_operators,
    operator_addresses,
)
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_types import ReviewDeployment
from sebrus.chain.types import Deployment
from sebrus.config import Settings
from sebrus.primitives import private_dir

if TYPE_CHECKING:
    from sebrus.chain.embedded_store import EmbeddedChain


@dataclass
class ChainHandle:
    """An open chain: the ledger, the platform's operator accounts, and what to close afterwards."""

    ledger: Ledger
    operators: Operators
    backend: str
    url: str
    _settings: Settings
    _closers: list[Callable[[], None]] = field(default_factory=list)
    # The review network (one Review clone per dataset, made by its factory); `init` deploys it too.
    reviews: ReviewLedger | None = None
    # The py-evm chain itself when it is embedded (the JSON-RPC endpoint serves it); None on an rpc node.
    embedded: EmbeddedChain | None = None

    def init(self) -> Deployment:
        """Deploy the contracts unless this chain already has them; idempotent."""
        deployment = self._init_ledger()
        if self.reviews is not None and not self.reviews.is_deployed:
            # Chains deployed before the review network get its factory added, like the release registry.
            save_review_deployment(self._settings.data_dir, self.reviews.deploy(self.operators.deployer))
        return deployment

    def _init_ledger(self) -> Deployment:
        if self.ledger.is_deployed:
            deployment = self.ledger.deployment
            if deployment.release_registry is not None and deployment.federation_log is not None:
                return deployment
            # Deployed before releases or federations existed: add what is missing, keep everything else.
            if deployment.release_registry is None:
                deployment = self.ledger.deploy_release_registry(self.operators.deployer)
            if deployment.federation_log is None:
                deployment = self.ledger.deploy_federation_log(self.operators.deployer)
        else:
            deployment = self.ledger.deploy(self.operators.deployer)
        save_deployment(self._settings.data_dir, deployment)
        return deployment

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> ChainHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_chain(settings: Settings) -> ChainHandle:
    private_dir(settings.data_dir)  # deployments, operator keys and the chain itself go in here
    if settings.chain_url:
        return _open_rpc(settings, settings.chain_url)
    return _open_embedded(settings)


def _open_embedded(settings: Settings) -> ChainHandle:
    from sebrus.chain.embedded_store import open_embedded_tester

    chain_dir = settings.chain_dir
    operators = load_or_create_dev_operators(chain_dir)
    embedded = open_embedded_tester(chain_dir, funded_accounts=list(operators.addresses().values()))
    w3 = Web3(embedded.web3_provider())
    w3.eth.default_account = operators.deployer.address  # reads are calls: eth-tester wants a funded sender
    deployment = load_deployment(settings.data_dir, embedded.chain_id)
    ledger = Ledger(w3, _verified(w3, deployment), serialize=True, revert_reader=eth_tester_revert_data)
    reviews = ReviewLedger(
        ledger, _verified_review(w3, load_review_deployment(settings.data_dir, embedded.chain_id))
    )
    return ChainHandle(
        ledger, operators, "embedded", str(chain_dir), settings, [embedded.close], reviews, embedded
    )


def _open_rpc(settings: Settings, url: str) -> ChainHandle:
    if not url.startswith(("http://", "https://")):
        raise LedgerError(f"SEBRUS_CHAIN_URL must be an http(s) JSON-RPC URL, got {url!r}")
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:
        raise LedgerError(f"cannot reach the chain at {url}: {exc}") from exc
    operators = load_keystore_operators(settings.resolved_keystore_dir, settings.keystore_password)
    w3.eth.default_account = operators.deployer.address
    ledger = Ledger(w3, _verified(w3, load_deployment(settings.data_dir, chain_id)))
    reviews = ReviewLedger(ledger, _verified_review(w3, load_review_deployment(settings.data_dir, chain_id)))
    return ChainHandle(ledger, operators, "rpc", url, settings, reviews=reviews)


@dataclass(frozen=True)
class ChainView:
    """A chain read through a JSON-RPC URL with no keys: ``sebrus chain status --url``.

    What works while another process owns the embedded chain (a running server serves it on
    ``/rpc``); contract addresses come from this data directory's record for the URL's chain id.
    """

    ledger: Ledger
    url: str
    operator_addresses: dict[str, str]


def view_chain(settings: Settings, url: str) -> ChainView:
    from sebrus.chain.embedded_store import EMBEDDED_CHAIN_ID

    if not url.startswith(("http://", "https://")):
        raise LedgerError(f"the chain URL must be an http(s) JSON-RPC URL, got {url!r}")
    w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))
    try:
        chain_id = int(w3.eth.chain_id)
    except Exception as exc:
        raise LedgerError(f"cannot reach the chain at {url}: {exc}") from exc
    ledger = Ledger(w3, _verified(w3, load_deployment(settings.data_dir, chain_id)))
    addresses = operator_addresses(
        settings.chain_dir, settings.resolved_keystore_dir, embedded=chain_id == EMBEDDED_CHAIN_ID
    )
    return ChainView(ledger, url, addresses)


def _verified(w3: Web3, deployment: Deployment | None) -> Deployment | None:
    """Forget a recorded deployment whose manager has no code, e.g. after a node was reset."""
    if deployment is None:
        return None
    if not w3.eth.get_code(deployment.manager):  # type: ignore[arg-type]
        return None
    if deployment.release_registry and not w3.eth.get_code(deployment.release_registry):  # type: ignore[arg-type]
        deployment = replace(deployment, release_registry=None)  # `init` deploys it again
    if deployment.federation_log and not w3.eth.get_code(deployment.federation_log):  # type: ignore[arg-type]
        deployment = replace(deployment, federation_log=None)
    return deployment


def _verified_review(w3: Web3, deployment: ReviewDeployment | None) -> ReviewDeployment | None:
    """Forget a recorded review factory that has no code (a reset node): `init` deploys it again."""
    if deployment is None or not w3.eth.get_code(deployment.factory):  # type: ignore[arg-type]
        return None
    return deployment


def eth_tester_revert_data(exc: Exception) -> bytes:
    """The revert bytes eth-tester prints into its error text (``execution reverted: b'...'``).

    web3 attaches no ``data`` to eth-tester's ``TransactionFailed``, so this is the embedded chain's
    only way to say which custom error a contract raised; a node's errors never match.
    """
    message = str(exc.args[0]) if exc.args else ""
    prefix = "execution reverted: "
    if message.startswith(prefix) and message[len(prefix) :].startswith(("b'", 'b"')):
        # A Python bytes literal; literal_eval only parses literals, it never runs code.
        value = ast.literal_eval(message[len(prefix) :])
        return value if isinstance(value, bytes) else b""
    return b""
