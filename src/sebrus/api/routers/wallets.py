"""``/api/wallets``: a custodial wallet the server signs with, or an external one proven by signature."""

from __future__ import annotations

from fastapi import APIRouter

from sebrus.api.schemas.common import ERROR_RESPONSES
from sebrus.api.schemas.wallets import (
    ChallengeEnvelope,
    ChallengeOut,
    ChallengeRequest,
    LinkRequest,
    WalletEnvelope,
    WalletList,
    WalletOut,
)
from sebrus.http.deps import CurrentUser, DbSession, State
from sebrus.services.accounts import wallets

router = APIRouter(prefix="/api/wallets", tags=["wallets"], responses=ERROR_RESPONSES)


@router.get("", response_model=WalletList)
def list_wallets(db: DbSession, user: CurrentUser) -> WalletList:
    rows = wallets.list_wallets(db, user)
    return WalletList(status="Success.", wallets=[WalletOut.model_validate(w) for w in rows])


@router.post("/custodial", status_code=201, response_model=WalletEnvelope)
def create_custodial(db: DbSession, user: CurrentUser, state: State) -> WalletEnvelope:
    wallet = wallets.create_custodial_wallet(db, user, state.server_secret, state.hooks.wallet_funder)
    return WalletEnvelope(status="Wallet created.", wallet=WalletOut.model_validate(wallet))


@router.post("/challenge", status_code=201, response_model=ChallengeEnvelope)
def request_challenge(body: ChallengeRequest, db: DbSession, user: CurrentUser) -> ChallengeEnvelope:
    challenge = wallets.issue_link_challenge(db, user, body.address)
    return ChallengeEnvelope(status="Sign this message.", challenge=ChallengeOut.model_validate(challenge))


@router.post("/link", status_code=201, response_model=WalletEnvelope)
def link_wallet(body: LinkRequest, db: DbSession, user: CurrentUser) -> WalletEnvelope:
    wallet = wallets.link_external_wallet(db, user, body.nonce, body.signature)
    return WalletEnvelope(status="Wallet linked.", wallet=WalletOut.model_validate(wallet))
