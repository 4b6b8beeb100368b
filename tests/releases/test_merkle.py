"""The release Merkle tree against vectors computed here by hand, straight from the written construction."""

from __future__ import annotations

import hashlib

import pytest

from sebrus.releases.merkle import MerkleError, merkle_proof, merkle_root, verify_proof


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _h(tag: str) -> bytes:
    return _sha(tag.encode())


def _leaf(content: bytes, label: str) -> bytes:
    return _sha(b"\x00" + content + label.encode())


def _node(left: bytes, right: bytes) -> bytes:
    return _sha(b"\x01" + left + right)


def _sorted(*pairs: tuple[bytes, str]) -> list[bytes]:
    return [_leaf(c, label) for c, label in sorted(pairs)]


A, B, C, D, E = (_h(t) for t in "abcde")


def test_one_item_is_its_own_leaf() -> None:
    assert merkle_root([(A, "cat")]) == _leaf(A, "cat")


def test_two_items_are_ordered_by_content_hash_whatever_order_they_come_in() -> None:
    l0, l1 = _sorted((A, "cat"), (B, "dog"))
    assert merkle_root([(A, "cat"), (B, "dog")]) == _node(l0, l1)
    assert merkle_root([(B, "dog"), (A, "cat")]) == _node(l0, l1)
    assert merkle_root([(A.hex(), "cat"), ("0x" + B.hex(), "dog")]) == _node(l0, l1)


def test_an_odd_last_node_is_promoted_not_duplicated() -> None:
    l0, l1, l2 = _sorted((A, "cat"), (B, "dog"), (C, "cat"))
    assert merkle_root([(A, "cat"), (B, "dog"), (C, "cat")]) == _node(_node(l0, l1), l2)

    k = _sorted((A, "x"), (B, "y"), (C, "x"), (D, "y"), (E, "x"))
    expected = _node(_node(_node(k[0], k[1]), _node(k[2], k[3])), k[4])
    assert merkle_root([(A, "x"), (B, "y"), (C, "x"), (D, "y"), (E, "x")]) == expected


def test_labels_are_committed_to() -> None:
    assert merkle_root([(A, "cat"), (B, "dog")]) != merkle_root([(A, "dog"), (B, "dog")])
    assert merkle_root([(A, "ü")]) == _sha(b"\x00" + A + "ü".encode())


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 7, 8, 13])
def test_every_item_has_a_proof_that_checks_and_only_for_its_own_label(count: int) -> None:
    items = [(_h(f"item{i}"), "cat" if i % 2 else "dog") for i in range(count)]
    root = merkle_root(items)
    for content, label in items:
        proof = merkle_proof(items, content)
        assert verify_proof(content, label, proof, root)
        assert not verify_proof(content, "bird", proof, root)
        assert not verify_proof(_h("stranger"), label, proof, root)


def test_a_proof_for_three_items_has_the_expected_siblings() -> None:
    l0, l1, l2 = _sorted((A, "cat"), (B, "dog"), (C, "cat"))
    ordered = sorted([A, B, C])
    proof = merkle_proof([(A, "cat"), (B, "dog"), (C, "cat")], ordered[2])
    assert [(s.side, s.sibling) for s in proof] == [("left", _node(l0, l1))]  # promoted once, then paired
    proof = merkle_proof([(A, "cat"), (B, "dog"), (C, "cat")], ordered[0])
    assert [(s.side, s.sibling) for s in proof] == [("right", l1), ("right", l2)]


def test_bad_sets_are_refused_by_name() -> None:
    with pytest.raises(MerkleError, match="at least one item"):
        merkle_root([])
    with pytest.raises(MerkleError, match="appears twice"):
        merkle_root([(A, "cat"), (A, "dog")])
    with pytest.raises(MerkleError, match="64 hex digits"):
        merkle_root([("abc", "cat")])
    with pytest.raises(MerkleError, match="not in the release"):
        merkle_proof([(A, "cat")], B)
