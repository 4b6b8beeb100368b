"""Where the contracts live on each chain, recorded in the data directory by ``sebrus chain init``.

Every record (the ledger's contracts, the review network, the revocations registry) and every key
file is written the same way, through ``sebrus.primitives.atomic_write_text``: to a temporary file,
fsynced, then renamed over the old one, so a crash leaves the old record or the new one and never
half of either.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from sebrus.chain.review_types import ReviewDeployment
from sebrus.chain.types import Deployment
from sebrus.primitives import atomic_write_json

Record = TypeVar("Record")


def read_json(path: Path) -> Any | None:
    """The JSON at ``path``, or None when there is no such file."""
    if not path.exists():
        return None
    return json.loads(path.read_text("utf-8"))


def _load(path: Path, record: type[Record]) -> Record | None:
    data = read_json(path)
    return None if data is None else record(**data)


def deployment_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{int(chain_id)}.json"


def load_deployment(data_dir: Path, chain_id: int) -> Deployment | None:
    return _load(deployment_path(data_dir, chain_id), Deployment)


def save_deployment(data_dir: Path, deployment: Deployment) -> Path:
    return atomic_write_json(deployment_path(data_dir, deployment.chain_id), asdict(deployment))


def review_deployment_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{int(chain_id)}-review.json"


def load_review_deployment(data_dir: Path, chain_id: int) -> ReviewDeployment | None:
    return _load(review_deployment_path(data_dir, chain_id), ReviewDeployment)


def save_review_deployment(data_dir: Path, deployment: ReviewDeployment) -> Path:
    return atomic_write_json(review_deployment_path(data_dir, deployment.chain_id), asdict(deployment))


def revocations_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{int(chain_id)}-revocations.json"
