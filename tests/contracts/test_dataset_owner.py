"""Dataset.owner follows DEFAULT_ADMIN_ROLE: a grant of the role moves it, giving the role up clears it."""

from __future__ import annotations

import pytest

from tests.support.contracts import Chain, events
from tests.support.review_contracts import ReviewChain, Terms

ZERO = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = b"\x00" * 32


@pytest.fixture(scope="module")
def chain() -> ReviewChain:
    return ReviewChain()


def test_owner_follows_an_admin_transfer(chain: Chain) -> None:
    first, second = chain.accounts[5], chain.accounts[6]
    dataset = chain.create_dataset(first)
    assert dataset.functions.owner().call() == first

    receipt = chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, second), first)
    (granted,) = events(dataset, "RoleGranted", receipt)
    assert granted["args"]["account"] == second
    assert dataset.functions.owner().call() == second

    # The old owner leaving the role does not move it back, nor clear the new owner.
    chain.send(dataset.functions.renounceRole(DEFAULT_ADMIN_ROLE, first), first)
    assert dataset.functions.owner().call() == second
    assert not dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, first).call()
    chain.expect_revert(
        dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, first),
        first,
        "AccessControlUnauthorizedAccount",
        first,
        DEFAULT_ADMIN_ROLE,
    )


def test_an_owner_who_gives_up_the_role_is_owner_no_longer(chain: Chain) -> None:
    first, second = chain.accounts[5], chain.accounts[6]
    dataset = chain.create_dataset(first)
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, second), first)

    # Revoked by another admin.
    chain.send(dataset.functions.revokeRole(DEFAULT_ADMIN_ROLE, second), first)
    assert dataset.functions.owner().call() == ZERO
    assert dataset.functions.hasRole(DEFAULT_ADMIN_ROLE, first).call()

    # A fresh grant names the owner again; renouncing clears it.
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, second), first)
    assert dataset.functions.owner().call() == second
    chain.send(dataset.functions.renounceRole(DEFAULT_ADMIN_ROLE, second), second)
    assert dataset.functions.owner().call() == ZERO


def test_other_roles_and_repeated_grants_leave_the_owner_alone(chain: Chain) -> None:
    first, second, detector = chain.accounts[5], chain.accounts[6], chain.accounts[7]
    dataset = chain.create_dataset(first, detector=detector)
    detector_role = dataset.functions.DETECTOR_ROLE().call()

    chain.send(dataset.functions.grantRole(detector_role, second), first)
    chain.send(dataset.functions.revokeRole(detector_role, detector), first)
    assert dataset.functions.owner().call() == first

    # Granting the role to its holder again changes nothing (and emits no RoleGranted).
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, second), first)
    receipt = chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, first), second)
    assert events(dataset, "RoleGranted", receipt) == []
    assert dataset.functions.owner().call() == second

    # Revoking the role from an admin who is not the owner leaves the owner in place.
    chain.send(dataset.functions.revokeRole(DEFAULT_ADMIN_ROLE, first), second)
    assert dataset.functions.owner().call() == second


def test_after_a_transfer_the_new_owner_creates_the_review(chain: ReviewChain) -> None:
    """ReviewFactory checks the role by name (DEFAULT_ADMIN_ROLE); owner() now names its holder."""
    first, second = chain.accounts[5], chain.accounts[6]
    dataset = chain.create_dataset(first)
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, second), first)
    chain.send(dataset.functions.renounceRole(DEFAULT_ADMIN_ROLE, first), first)

    terms = Terms().tuple()
    chain.expect_revert(
        chain.factory.functions.createReview(dataset.address, terms),
        first,
        "NotDatasetAdmin",
        dataset.address,
        first,
    )
    review = chain.create_review(dataset, dataset.functions.owner().call(), Terms())
    assert review.functions.hasRole(DEFAULT_ADMIN_ROLE, second).call()
    assert chain.factory.functions.reviewOf(dataset.address).call() == review.address
