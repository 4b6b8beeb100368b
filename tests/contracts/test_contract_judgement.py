"""quarantine, resolve and the roles that guard them: status only ever moves forward."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.contract import Contract

from tests.support.contracts import APPROVED, PENDING, QUARANTINED, REJECTED, Chain, content_hash, events

DETECTOR_ROLE = keccak(text="DETECTOR_ROLE")
RESOLVER_ROLE = keccak(text="RESOLVER_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
REPORT = keccak(text="detection report")


@pytest.fixture
def resolver(chain: Chain, dataset: Contract, owner: str) -> str:
    account = chain.accounts[6]
    chain.send(dataset.functions.grantRole(RESOLVER_ROLE, account), owner)
    return account


def _submitted(chain: Chain, dataset: Contract, contributor: str, tag: str) -> bytes:
    item = content_hash(tag)
    chain.send(dataset.functions.submit(item, 1, b""), contributor)
    return item


def _status(dataset: Contract, item: bytes) -> int:
    return int(dataset.functions.getItem(item).call()[3])


def test_the_role_constants_are_the_documented_hashes(dataset: Contract) -> None:
    assert dataset.functions.DETECTOR_ROLE().call() == DETECTOR_ROLE
    assert dataset.functions.RESOLVER_ROLE().call() == RESOLVER_ROLE
    assert dataset.functions.DEFAULT_ADMIN_ROLE().call() == DEFAULT_ADMIN_ROLE


def test_the_detector_quarantines_a_pending_item(
    chain: Chain, dataset: Contract, contributor: str, detector: str
) -> None:
    item = _submitted(chain, dataset, contributor, "suspicious")
    before = dataset.functions.getItem(item).call()
    receipt = chain.send(dataset.functions.quarantine(item, REPORT), detector)

    (event,) = events(dataset, "ItemQuarantined", receipt)
    assert event["args"]["contentHash"] == item
    assert event["args"]["detector"] == detector
    assert event["args"]["reportHash"] == REPORT
    assert dataset.functions.getItem(item).call() == (*before[:3], QUARANTINED)


@pytest.mark.parametrize("who", ["owner", "contributor", "stranger"])
def test_only_the_detector_may_quarantine(
    chain: Chain, dataset: Contract, contributor: str, request: pytest.FixtureRequest, who: str
) -> None:
    item = _submitted(chain, dataset, contributor, f"not yours {who}")
    caller = request.getfixturevalue(who)
    chain.expect_revert(
        dataset.functions.quarantine(item, REPORT),
        caller,
        "AccessControlUnauthorizedAccount",
        caller,
        DETECTOR_ROLE,
    )
    assert _status(dataset, item) == PENDING


def test_quarantining_an_unknown_item_fails(chain: Chain, dataset: Contract, detector: str) -> None:
    item = content_hash("never submitted")
    chain.expect_revert(dataset.functions.quarantine(item, REPORT), detector, "UnknownItem", item)


def test_a_quarantined_item_cannot_be_quarantined_again(
    chain: Chain, dataset: Contract, contributor: str, detector: str
) -> None:
    item = _submitted(chain, dataset, contributor, "twice")
    chain.send(dataset.functions.quarantine(item, REPORT), detector)
    chain.expect_revert(
        dataset.functions.quarantine(item, REPORT),
        detector,
        "InvalidStatusTransition",
        item,
        QUARANTINED,
        QUARANTINED,
    )


@pytest.mark.parametrize("approved", [True, False])
def test_a_resolved_item_cannot_be_quarantined(
    chain: Chain, dataset: Contract, contributor: str, detector: str, resolver: str, approved: bool
) -> None:
    item = _submitted(chain, dataset, contributor, f"resolved then flagged {approved}")
    chain.send(dataset.functions.resolve(item, approved), resolver)
    final = APPROVED if approved else REJECTED
    chain.expect_revert(
        dataset.functions.quarantine(item, REPORT),
        detector,
        "InvalidStatusTransition",
        item,
        final,
        QUARANTINED,
    )
    assert _status(dataset, item) == final


@pytest.mark.parametrize("flag_first", [False, True])
@pytest.mark.parametrize("approved", [True, False])
def test_the_resolver_settles_pending_and_quarantined_items(
    chain: Chain,
    dataset: Contract,
    contributor: str,
    detector: str,
    resolver: str,
    flag_first: bool,
    approved: bool,
) -> None:
    item = _submitted(chain, dataset, contributor, f"settle {flag_first} {approved}")
    if flag_first:
        chain.send(dataset.functions.quarantine(item, REPORT), detector)
    receipt = chain.send(dataset.functions.resolve(item, approved), resolver)

    final = APPROVED if approved else REJECTED
    (event,) = events(dataset, "ItemResolved", receipt)
    assert event["args"]["contentHash"] == item
    assert event["args"]["status"] == final
    assert _status(dataset, item) == final
    assert dataset.functions.getItem(item).call()[0] == contributor


@pytest.mark.parametrize("first", [True, False])
@pytest.mark.parametrize("second", [True, False])
def test_a_resolved_item_never_moves_again(
    chain: Chain, dataset: Contract, contributor: str, resolver: str, first: bool, second: bool
) -> None:
    item = _submitted(chain, dataset, contributor, f"final {first} {second}")
    chain.send(dataset.functions.resolve(item, first), resolver)
    was = APPROVED if first else REJECTED
    to = APPROVED if second else REJECTED
    chain.expect_revert(
        dataset.functions.resolve(item, second), resolver, "InvalidStatusTransition", item, was, to
    )
    assert _status(dataset, item) == was


@pytest.mark.parametrize("who", ["owner", "detector", "contributor"])
def test_only_the_resolver_may_resolve(
    chain: Chain, dataset: Contract, contributor: str, request: pytest.FixtureRequest, who: str
) -> None:
    item = _submitted(chain, dataset, contributor, f"unresolvable {who}")
    caller = request.getfixturevalue(who)
    chain.expect_revert(
        dataset.functions.resolve(item, True),
        caller,
        "AccessControlUnauthorizedAccount",
        caller,
        RESOLVER_ROLE,
    )
    assert _status(dataset, item) == PENDING


def test_resolving_an_unknown_item_fails(chain: Chain, dataset: Contract, resolver: str) -> None:
    item = content_hash("ghost")
    chain.expect_revert(dataset.functions.resolve(item, False), resolver, "UnknownItem", item)


# ------------------------------------------------------------------------------------------ roles


@pytest.mark.parametrize("role", [DETECTOR_ROLE, RESOLVER_ROLE])
def test_the_owner_grants_and_revokes_roles(
    chain: Chain, dataset: Contract, owner: str, stranger: str, role: bytes
) -> None:
    assert dataset.functions.getRoleAdmin(role).call() == DEFAULT_ADMIN_ROLE
    receipt = chain.send(dataset.functions.grantRole(role, stranger), owner)
    (granted,) = events(dataset, "RoleGranted", receipt)
    assert (granted["args"]["role"], granted["args"]["account"], granted["args"]["sender"]) == (
        role,
        stranger,
        owner,
    )
    assert dataset.functions.hasRole(role, stranger).call()

    receipt = chain.send(dataset.functions.revokeRole(role, stranger), owner)
    assert len(events(dataset, "RoleRevoked", receipt)) == 1
    assert not dataset.functions.hasRole(role, stranger).call()


def test_a_revoked_detector_can_no_longer_quarantine(
    chain: Chain, dataset: Contract, owner: str, contributor: str, detector: str
) -> None:
    item = _submitted(chain, dataset, contributor, "revoked detector")
    chain.send(dataset.functions.revokeRole(DETECTOR_ROLE, detector), owner)
    chain.expect_revert(
        dataset.functions.quarantine(item, REPORT),
        detector,
        "AccessControlUnauthorizedAccount",
        detector,
        DETECTOR_ROLE,
    )


@pytest.mark.parametrize("who", ["detector", "contributor", "stranger"])
@pytest.mark.parametrize("role", [DETECTOR_ROLE, RESOLVER_ROLE, DEFAULT_ADMIN_ROLE])
def test_others_cannot_grant_or_revoke_roles(
    chain: Chain, dataset: Contract, detector: str, request: pytest.FixtureRequest, who: str, role: bytes
) -> None:
    caller = request.getfixturevalue(who)
    chain.expect_revert(
        dataset.functions.grantRole(role, caller),
        caller,
        "AccessControlUnauthorizedAccount",
        caller,
        DEFAULT_ADMIN_ROLE,
    )
    chain.expect_revert(
        dataset.functions.revokeRole(DETECTOR_ROLE, detector),
        caller,
        "AccessControlUnauthorizedAccount",
        caller,
        DEFAULT_ADMIN_ROLE,
    )
    already_held = role == DETECTOR_ROLE and caller == detector
    assert dataset.functions.hasRole(role, caller).call() is already_held
    assert dataset.functions.hasRole(DETECTOR_ROLE, detector).call()


def test_a_role_holder_may_renounce_only_their_own_role(
    chain: Chain, dataset: Contract, detector: str, stranger: str
) -> None:
    chain.expect_revert(
        dataset.functions.renounceRole(DETECTOR_ROLE, detector), stranger, "AccessControlBadConfirmation"
    )
    chain.send(dataset.functions.renounceRole(DETECTOR_ROLE, detector), detector)
    assert not dataset.functions.hasRole(DETECTOR_ROLE, detector).call()


def test_the_owner_can_hand_administration_to_another_account(
    chain: Chain, dataset: Contract, owner: str, stranger: str
) -> None:
    chain.send(dataset.functions.grantRole(DEFAULT_ADMIN_ROLE, stranger), owner)
    chain.send(dataset.functions.renounceRole(DEFAULT_ADMIN_ROLE, owner), owner)
    chain.send(dataset.functions.grantRole(RESOLVER_ROLE, stranger), stranger)
    chain.expect_revert(
        dataset.functions.grantRole(RESOLVER_ROLE, owner),
        owner,
        "AccessControlUnauthorizedAccount",
        owner,
        DEFAULT_ADMIN_ROLE,
    )


def test_roles_on_one_dataset_mean_nothing_on_another(
    chain: Chain, dataset: Contract, owner: str, contributor: str, detector: str
) -> None:
    other = chain.create_dataset(chain.accounts[7], detector="0x" + "00" * 20)
    item = content_hash("other dataset")
    chain.send(other.functions.submit(item, 0, b""), contributor)
    chain.expect_revert(
        other.functions.quarantine(item, REPORT),
        detector,
        "AccessControlUnauthorizedAccount",
        detector,
        DETECTOR_ROLE,
    )
    chain.expect_revert(
        other.functions.grantRole(DETECTOR_ROLE, owner),
        owner,
        "AccessControlUnauthorizedAccount",
        owner,
        DEFAULT_ADMIN_ROLE,
    )


def test_supports_the_access_control_interface(dataset: Contract) -> None:
    assert dataset.functions.supportsInterface(bytes.fromhex("7965db0b")).call()  # IAccessControl
    assert dataset.functions.supportsInterface(bytes.fromhex("01ffc9a7")).call()  # ERC-165
    assert not dataset.functions.supportsInterface(bytes.fromhex("ffffffff")).call()
