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


def artifact_names() -> list[str]:
    folder = resources.files("sebrus.chain").joinpath("artifacts")
    return sorted(p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json"))
