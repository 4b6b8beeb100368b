"""Your review bond on a dataset (review version 3 or later): ``GET .../review/bond`` reads it,
``POST .../review/bond/deposit`` and ``POST .../review/bond/withdraw`` move money between it and your
custodial wallet. Signed (batched) ballots draw their stakes from the bond and payouts land in it, so
this is how a reviewer gets that money back. Writes are authenticated (cookie sessions send
``X-CSRF-Token``) and act on the caller's own bond only."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from sebrus.api.schemas.common import ERROR_RESPONSES, ApiModel, StatusAnswer
from sebrus.http.deps import CurrentUser, DbSession, ReviewChainDep, dataset_or_404
from sebrus.services.review import bonds
from sebrus.services.review.bonds import Bond

router = APIRouter(prefix="/api/dataset/{dataset_id}/review", tags=["review"], responses=ERROR_RESPONSES)


class BondWithdrawIn(ApiModel):
    amount_wei: int | None = Field(
        default=None, gt=0, lt=2**96, description="Wei; a JSON number or a decimal string. Omit: all of it."
    )


class BondDepositIn(ApiModel):
    amount_wei: int = Field(gt=0, lt=2**96, description="Wei; a JSON number or a decimal string.")


class BondOut(StatusAnswer):
    voter: str = Field(description="Your custodial wallet, whose bond this is.")
    available_wei: str = Field(description="What you can withdraw now (open votes' stakes are held apart).")
    tx_hash: str | None = Field(description="The deposit's or withdrawal's transaction; null when read.")


def _answer(bond: Bond, done: str | None = None) -> BondOut:
    return BondOut.model_validate(
        {
            "status": bond.sentence(done),
            "voter": bond.voter,
            "available_wei": str(bond.available_wei),
            "tx_hash": bond.tx_hash,
        }
    )


@router.get("/bond")
def read_bond(dataset_id: int, db: DbSession, user: CurrentUser, chain: ReviewChainDep) -> BondOut:
    """Your bond on this dataset's review: what you can withdraw now."""
    return _answer(bonds.show(db, chain, dataset_or_404(db, dataset_id), user))


@router.post("/bond/deposit")
def deposit_bond(
    dataset_id: int, body: BondDepositIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> BondOut:
    """Move ``amount_wei`` from your custodial wallet into your bond."""
    bond = bonds.deposit(db, chain, dataset_or_404(db, dataset_id), user, body.amount_wei)
    return _answer(bond, "Deposited into your bond.")


@router.post("/bond/withdraw")
def withdraw_bond(
    dataset_id: int, body: BondWithdrawIn, db: DbSession, user: CurrentUser, chain: ReviewChainDep
) -> BondOut:
    """Take ``amount_wei`` (or everything available) back into your custodial wallet; refused with a
    sentence when more is asked than your open votes leave available."""
    bond = bonds.withdraw(db, chain, dataset_or_404(db, dataset_id), user, body.amount_wei)
    return _answer(bond, "Withdrawn from your bond.")
