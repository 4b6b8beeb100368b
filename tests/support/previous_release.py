"""A chain deployed with the previous release's artifacts, for the tests that older deployments keep working.

``src/sebrus/chain/artifacts/legacy/<Name>_v1.json`` holds the Dataset, DatasetManager, Review and
ReviewFactory as the release before issue 15 compiled them. Inside :func:`previous_artifacts` every
contract the platform deploys is taken from there when it exists, so the chain ends up as an older
installation's would; the code under test then runs against it with today's artifacts and ABIs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from sebrus.chain import transactor as transactor_module
from sebrus.chain.artifacts import Artifact, load_artifact, load_legacy_artifact

PREVIOUS = 1
REPLACED = ("Dataset", "DatasetManager", "Review", "ReviewFactory")


def _previous(name: str) -> Artifact:
    return load_legacy_artifact(name, PREVIOUS) if name in REPLACED else load_artifact(name)


@contextmanager
def previous_artifacts() -> Iterator[None]:
    """Deployments made inside use the previous release's bytecode for the replaced contracts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transactor_module, "load_artifact", _previous)
        yield
