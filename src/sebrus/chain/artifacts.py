"""Compiled contract artifacts shipped inside the package.

They are produced by ``scripts/compile_contracts.mjs`` and committed, so running the platform never
needs Node or a Solidity compiler; a test recompiles and fails if they drift from the sources.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def load_artifact(name: str) -> Artifact:
    if not name.isidentifier():
        raise ValueError(f"not a contract name: {name!r}")
    text = resources.files("sebrus.chain").joinpath("artifacts", f"{name}.json").read_text("utf-8")
    data = json.loads(text)
    return Artifact(name=data["contractName"], abi=data["abi"], bytecode=data["bytecode"])


@cache
def load_legacy_artifact(name: str, version: int) -> Artifact:
    """A contract as an earlier release compiled it (``artifacts/legacy/<name>_v<version>.json``), kept
    so that contracts deployed from those artifacts can still be spoken to with their own ABI."""
    if not name.isidentifier() or isinstance(version, bool) or not isinstance(version, int):
        raise ValueError(f"not a contract name and version: {name!r}, {version!r}")
    text = (
        resources.files("sebrus.chain")
        .joinpath("artifacts", "legacy", f"{name}_v{version}.json")
        .read_text("utf-8")
    )
    data = json.loads(text)
    return Artifact(name=data["contractName"], abi=data["abi"], bytecode=data["bytecode"])


def artifact_names() -> list[str]:
    folder = resources.files("sebrus.chain").joinpath("artifacts")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
