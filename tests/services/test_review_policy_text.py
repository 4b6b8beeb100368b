"""How every face names a review policy version: the contract's number and a date, never Unix seconds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sebrus.services.errors import InvalidInput
from sebrus.services.review.policy import policy_version_text, terms_from_policy


def test_a_policy_version_reads_as_the_contracts_number_and_a_utc_date() -> None:
    started = int(datetime(2026, 12, 6, 8, 30, tzinfo=UTC).timestamp())
    assert policy_version_text(2, started) == "version 2, for items submitted from 2026-12-06 08:30 UTC"
    assert policy_version_text(0, 0) == "version 0, for every item from the start"


def test_a_policy_amount_out_of_range_is_refused_in_eth() -> None:
    with pytest.raises(InvalidInput, match=r"`stake_wei` must be 0 to 79228162514\.264337593543950335 ETH"):
        terms_from_policy({"stake_wei": 2**96})
