"""Where the contracts live on each chain, recorded in the data directory by ``sebrus chain init``."""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

from sebrus.chain.types import Deployment


def deployment_path(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / f"{int(chain_id)}.json"


def load_deployment(data_dir: Path, chain_id: int) -> Deployment | None:
    path = deployment_path(data_dir, chain_id)
    if not path.exists():
        return None
    return Deployment(**json.loads(path.read_text("utf-8")))


def save_deployment(data_dir: Path, deployment: Deployment) -> Path:
    path = deployment_path(data_dir, deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(deployment), handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return path
