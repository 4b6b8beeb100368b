"""How the platform's services reach the chain: custodial signing, wallet funding, dataset anchoring.

This is the only service module that holds the :class:`Ledger`. Decrypting a keystore is slow on
purpose, so unlocked custodial accounts are kept in memory for the life of the process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from sebrus.chain.errors import InvalidInput as LedgerInvalidInput
from sebrus.chain.errors import LedgerError
from sebrus.chain.ledger import Ledger
from sebrus.chain.operators import Operators
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_types import ReviewTerms
from sebrus.db.models import User, Wallet, WalletKind
from sebrus.services.accounts.wallets import unlock_custodial_account
from sebrus.services.datasets import AnchoredDataset, DatasetSpec
from sebrus.services.errors import InvalidInput, ServiceError
from sebrus.services.review.policy import DEFAULT_FINALIZE_DELAY_S, policy_from_terms, terms_from_policy

CUSTODIAL_FUNDING_WEI = 10**18  # 1 ETH of the embedded chain's play money: thousands of transactions


class ChainUnavailable(ServiceError):
    """The ledger refused or could not be reached; nothing was stored."""


@dataclass
class ChainLink:
    ledger: Ledger
    operators: Operators
    server_secret: str
    funding_wei: int = CUSTODIAL_FUNDING_WEI
    reviews: ReviewLedger | None = None  # the review network; every new dataset gets its Review clone
    dataset_max_gas: int | None = None  # what one dataset's creation may cost (None: 90% of a block)
    # How long an x = 0 item waits after anchoring before it may be approved: the default
    # finalize_delay of new policies, and the API's guard on finalize (Settings.review_no_vote_grace_seconds).
    no_vote_grace_s: int = DEFAULT_FINALIZE_DELAY_S
    _unlocked: dict[str, LocalAccount] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def signer_for(self, wallet: Wallet) -> LocalAccount:
        with self._lock:
            account = self._unlocked.get(wallet.address)
        if account is None:
            account = unlock_custodial_account(wallet, self.server_secret)
            with self._lock:
                self._unlocked[wallet.address] = account
        return account

    # WalletFunder
    def fund(self, address: str) -> None:
        try:
            self.ledger.transfer(self.operators.deployer, address, self.funding_wei)
        except LedgerError as exc:
            raise ChainUnavailable(f"Could not fund wallet {address}: {exc}") from exc

    # DatasetAnchor
    def anchor(self, spec: DatasetSpec, owner: User) -> AnchoredDataset:
        """Create the dataset and its Review contract on chain, signed by the owner's custodial wallet."""
        wallet = next((w for w in owner.wallets if w.kind is WalletKind.CUSTODIAL), None)
        if wallet is None:
            raise InvalidInput(
                "You need a custodial wallet to create a dataset on this chain.", field="owner"
            )
        # a bad policy is refused before anything is sent
        terms = terms_from_policy(spec.review_policy, default_finalize_delay=self.no_vote_grace_s)
        if spec.address is not None:
            anchored = self._adopt(spec, wallet)
            self._open_review(spec, wallet, anchored.address, terms)
            return anchored
        if not spec.labels:
            raise InvalidInput("A dataset needs at least one label.", field="labels")
        try:
            info = self.ledger.create_dataset(
                self.signer_for(wallet),
                name=spec.name,
                description=spec.description,
                labels=spec.labels,
                payload_on_chain=spec.payload_on_chain,
                detector=self.operators.detector.address,
                max_gas=self.dataset_max_gas,
            )
        except LedgerInvalidInput as exc:
            raise InvalidInput(str(exc), field="labels") from exc
        except LedgerError as exc:
            raise ChainUnavailable(f"The chain refused the new dataset: {exc}") from exc
        self._open_review(spec, wallet, info.address, terms)
        return AnchoredDataset(
            address=info.address,
            chain_id=self.ledger.chain_id,
            chain_index=info.index,
            created_block=self.ledger.block_number(),
        )

    def _open_review(self, spec: DatasetSpec, wallet: Wallet, dataset: str, terms: ReviewTerms) -> None:
        """Give the dataset its Review contract with the owner's terms (or adopt the one it has), so
        voting works from the first upload; the row records the terms actually in force."""
        if self.reviews is None:
            return
        signer = self.signer_for(wallet)
        try:
            if self.reviews.review_address(dataset) is None:
                self.reviews.create_review(signer, dataset, terms)
            else:
                self.reviews.attach_review(signer, dataset)
                terms = self.reviews.policy(dataset).terms
        except LedgerInvalidInput as exc:
            raise InvalidInput(f"Review policy: {exc}", field="review_policy") from exc
        except LedgerError as exc:
            raise ChainUnavailable(f"The chain refused the dataset's review contract: {exc}") from exc
        spec.review_policy = policy_from_terms(terms)

    def _adopt(self, spec: DatasetSpec, wallet: Wallet) -> AnchoredDataset:
        """Register a dataset contract the owner created on chain themselves (the prototype's flow)."""
        assert spec.address is not None
        try:
            info = self.ledger.dataset(spec.address)
        except LedgerInvalidInput as exc:
            raise InvalidInput(str(exc), field="address") from exc
        if info.owner != wallet.address:
            raise InvalidInput("That dataset contract belongs to another wallet.", field="address")
        if spec.labels and tuple(spec.labels) != info.labels:
            raise InvalidInput(
                f"The contract's labels are {list(info.labels)}, not {spec.labels}.", field="labels"
            )
        spec.labels = list(info.labels)
        spec.payload_on_chain = info.payload_on_chain
        return AnchoredDataset(address=info.address, chain_id=self.ledger.chain_id, chain_index=info.index)
