"""The review policy object's ``finalize_delay`` (issue 15 item 1): how long an x = 0 item waits after
anchoring before it may be approved, held by the Review contract as ``Terms.finalizeDelay``."""

from __future__ import annotations

import pytest

from sebrus.chain.review_types import ReviewTerms
from sebrus.services.errors import InvalidInput
from sebrus.services.review.policy import DEFAULT_FINALIZE_DELAY_S, policy_from_terms, terms_from_policy


def test_a_missing_delay_takes_the_platforms_grace() -> None:
    assert terms_from_policy({"x": 0}).finalize_delay_s == DEFAULT_FINALIZE_DELAY_S
    assert terms_from_policy({"x": 0}, default_finalize_delay=42).finalize_delay_s == 42


def test_an_owner_may_choose_the_delay_and_it_round_trips() -> None:
    terms = terms_from_policy({"x": 0, "finalize_delay": 3600}, default_finalize_delay=0)
    assert terms.finalize_delay_s == 3600
    assert policy_from_terms(terms)["finalize_delay"] == 3600
    assert terms_from_policy(policy_from_terms(terms)) == terms


@pytest.mark.parametrize("bad", [-1, 30 * 86400 + 1, "soon", True])
def test_a_bad_delay_is_refused_naming_the_key(bad: object) -> None:
    with pytest.raises(InvalidInput, match="finalize_delay"):
        terms_from_policy({"x": 0, "finalize_delay": bad})


def test_the_contract_tuple_has_the_delay_only_for_version_2_reviews() -> None:
    terms = ReviewTerms(quorum=0, stake_wei=1, finalize_delay_s=60)
    assert terms.as_tuple()[-1] == 60 and len(terms.as_tuple()) == 9
    assert len(terms.as_tuple(1)) == 8
    assert ReviewTerms.from_tuple(terms.as_tuple(1)).finalize_delay_s == 0  # a v1 review has none
    assert ReviewTerms.from_tuple(terms.as_tuple()) == terms
