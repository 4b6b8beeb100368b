"""Request bodies of the review routes; responses are plain JSON documented in the router."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from sebrus.api.schemas.common import ApiModel


class VoteIn(ApiModel):
    approve: bool = Field(description="True: the label is right; false: it is wrong or poisoned.")


class RoundIn(ApiModel):
    round: int | None = Field(
        default=None, ge=0, lt=2**32, description="The round to claim for; default: your latest ballot's."
    )


class AmountIn(ApiModel):
    amount_wei: int = Field(gt=0, lt=2**96, description="Wei; a JSON number or a decimal string.")


class VoterIn(ApiModel):
    voter: str = Field(min_length=1, max_length=64, description="A username or a wallet address.")


class PolicyIn(ApiModel):
    policy: dict[str, Any] = Field(
        description="x, stake_wei, reward_wei, voters (open | allow-list), deposit_wei, commit_reveal, "
        "commit_window, reveal_window; missing keys take the defaults."
    )
