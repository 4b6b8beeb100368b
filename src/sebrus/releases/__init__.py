"""Releases as consumers see them: the Merkle tree, the release document, exports and offline checks.

A library like ``sebrus.detect``: plain Python and the standard library (plus Pillow/NumPy when loading),
importing no other layer, so an export can be verified on a machine with no server and no chain client.
"""

from sebrus.releases.document import ReleaseDocumentError
from sebrus.releases.merkle import MerkleError, merkle_proof, merkle_root, verify_proof
from sebrus.releases.verify import Finding, VerifyReport, verify_export

__all__ = [
    "Finding",
    "MerkleError",
    "ReleaseDocumentError",
    "VerifyReport",
    "merkle_proof",
    "merkle_root",
    "verify_export",
    "verify_proof",
]
