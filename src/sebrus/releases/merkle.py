"""The release Merkle tree, specified exactly so that consumers can re-implement it in a few lines.

Construction (version ``sebrus-merkle/1``):

* An item is ``(content_hash, label)``: the 32-byte sha256 of the image bytes and its label's UTF-8 bytes.
* Canonical order: ascending by ``content_hash`` (byte order, the same as lower-case hex order). A content
  hash may appear only once (a dataset keys its items by it).
* ``leaf = sha256(0x00 || content_hash || utf8(label))``; ``node = sha256(0x01 || left || right)``.
  The one-byte prefixes keep a leaf from ever being passed off as an inner node (second preimages).
* Positional, not sorted-pair: level 0 is the leaves in canonical order; each next level hashes
  neighbours (0,1), (2,3), ... and a level with an odd count PROMOTES its last node unchanged (it is not
  duplicated). The root is the single node left. One item's root is its leaf; an empty set has no root.
* A proof is the list of siblings from the leaf up, each marked ``left`` or ``right`` (where the sibling
  sits); a level where the node was promoted contributes no step.

sha256 rather than keccak256 because every language's standard library has it.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
CONSTRUCTION = "sebrus-merkle/1"


class MerkleError(ValueError):
    """The items cannot form a release tree (empty, malformed hash, repeated hash)."""


@dataclass(frozen=True)
class ProofStep:
    side: Literal["left", "right"]  # where the sibling sits
    sibling: bytes


def content_hash_bytes(value: str | bytes) -> bytes:
    """32 raw bytes from raw bytes or 64 hex digits (an optional 0x is allowed)."""
    if isinstance(value, bytes):
        raw = value
    else:
        text = value.removeprefix("0x")
        if len(text) != 64:
            raise MerkleError(f"a content hash is 64 hex digits, got {value!r}")
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise MerkleError(f"a content hash is hexadecimal, got {value!r}") from None
    if len(raw) != 32:
        raise MerkleError(f"a content hash is 32 bytes, got {len(raw)}")
    return raw


def leaf_hash(content_hash: str | bytes, label: str) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + content_hash_bytes(content_hash) + label.encode("utf-8")).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def canonical_order(items: Iterable[tuple[str | bytes, str]]) -> list[tuple[bytes, str]]:
    """The items sorted by content hash; refuses an empty set and repeated hashes."""
    ordered = sorted(((content_hash_bytes(h), label) for h, label in items), key=lambda pair: pair[0])
    if not ordered:
        raise MerkleError("a release needs at least one item")
    for previous, current in itertools.pairwise(ordered):
        if previous[0] == current[0]:
            raise MerkleError(f"content hash {current[0].hex()} appears twice")
    return ordered


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])  # promoted unchanged
        levels.append(above)
    return levels


def merkle_root(items: Iterable[tuple[str | bytes, str]]) -> bytes:
    """Root over ``(content_hash, label)`` pairs given in any order."""
    leaves = [leaf_hash(h, label) for h, label in canonical_order(items)]
    return _levels(leaves)[-1][0]


def merkle_proof(items: Iterable[tuple[str | bytes, str]], content_hash: str | bytes) -> list[ProofStep]:
    """The proof that the item with ``content_hash`` (and its label) is in the tree over ``items``."""
    ordered = canonical_order(items)
    target = content_hash_bytes(content_hash)
    index = next((i for i, (h, _) in enumerate(ordered) if h == target), None)
    if index is None:
        raise MerkleError(f"content hash {target.hex()} is not in the release")
    steps: list[ProofStep] = []
    for level in _levels([leaf_hash(h, label) for h, label in ordered])[:-1]:
        if index % 2:
            steps.append(ProofStep("left", level[index - 1]))
        elif index + 1 < len(level):
            steps.append(ProofStep("right", level[index + 1]))
        index //= 2
    return steps


def verify_proof(content_hash: str | bytes, label: str, proof: Sequence[ProofStep], root: bytes) -> bool:
    node = leaf_hash(content_hash, label)
    for step in proof:
        node = node_hash(step.sibling, node) if step.side == "left" else node_hash(node, step.sibling)
    return node == root
