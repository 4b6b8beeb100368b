from __future__ import annotations

from datetime import datetime

from pydantic import Field

from sebrus.api.schemas.common import ApiModel


class WalletOut(ApiModel):
    """No keystore here, ever: it stays on the server."""

    id: int
    address: str
    kind: str
    created_at: datetime


class WalletEnvelope(ApiModel):
    status: str
    wallet: WalletOut


class WalletList(ApiModel):
    status: str
    wallets: list[WalletOut]


class ChallengeRequest(ApiModel):
    address: str = Field(examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"])


class ChallengeOut(ApiModel):
    nonce: str
    address: str
    message: str = Field(description="Sign exactly this text with EIP-191 personal_sign.")
    expires_at: datetime


class ChallengeEnvelope(ApiModel):
    status: str
    challenge: ChallengeOut


class LinkRequest(ApiModel):
    nonce: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=1, max_length=200)
