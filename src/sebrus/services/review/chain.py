"""What every review service needs from the chain: the review ledger, custodial signers, and a way
to bring the database up to date after a transaction (the indexer's ``sync``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.review import ReviewLedger
from sebrus.db.models import Dataset, Item, User, Wallet
from sebrus.primitives import format_eth
from sebrus.services.accounts.wallets import custodial_wallet_of
from sebrus.services.errors import InvalidInput, NotFound, PermissionDenied
from sebrus.services.review.chain_link import ChainLink

GAS_HEADROOM_WEI = 10**15  # what a review transaction may cost in gas on top of its value


@dataclass
class ReviewChain:
    link: ChainLink
    sync: Callable[[], object]

    @property
    def reviews(self) -> ReviewLedger:
        if self.link.reviews is None or not self.link.reviews.is_deployed:
            raise InvalidInput("This server's chain has no review network deployed.")
        return self.link.reviews

    def address_of(self, dataset: Dataset) -> str:
        """The dataset's address, refused when it has no review contract to vote through."""
        if dataset.chain_id is None:
            raise InvalidInput("This dataset is not anchored on this server's chain, so it has no review.")
        if self.reviews.review_address(dataset.address) is None:
            raise InvalidInput("This dataset has no review contract yet; its owner sets a policy first.")
        return dataset.address

    def wallet(self, db: Session, user: User) -> Wallet:
        wallet = custodial_wallet_of(db, user)
        if wallet is None:
            raise PermissionDenied("Reviewing through the server needs your custodial wallet; you have none.")
        return wallet

    def signer(self, db: Session, user: User) -> LocalAccount:
        return self.link.signer_for(self.wallet(db, user))

    def require_funds(self, address: str, value_wei: int, what: str) -> None:
        """Refuse before sending when the wallet cannot pay ``value_wei`` plus gas (the message in ETH,
        the unit people read and type)."""
        balance = self.link.ledger.balance(address)
        if balance < value_wei + GAS_HEADROOM_WEI:
            raise InvalidInput(
                f"Your wallet holds {format_eth(balance)}; {what} needs {format_eth(value_wei)} plus gas "
                f"(about {format_eth(GAS_HEADROOM_WEI)})."
            )


def item_of(db: Session, dataset: Dataset, content_hash: str) -> Item:
    digest = content_hash.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput("An item is named by the sha256 of its bytes: 64 hex digits.", field="sha256")
    item = db.scalar(select(Item).where(Item.dataset_id == dataset.id, Item.content_hash == digest))
    if item is None:
        raise NotFound(f"Dataset {dataset.id} has no item {digest}.")
    return item


def addresses_of(user: User) -> set[str]:
    return {w.address for w in user.wallets}
