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

from eth_utils import keccak


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


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(_abi_type(i) for i in entry['inputs'])})"


def _abi_type(param: dict[str, Any]) -> str:
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@cache
def custom_errors() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """Every custom error declared by any shipped contract, keyed by its 4-byte selector."""
    errors: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for name in artifact_names():
        for entry in load_artifact(name).abi:
            if entry.get("type") == "error":
                errors[keccak(text=_signature(entry))[:4]] = (entry["name"], entry["inputs"])
    return errors
