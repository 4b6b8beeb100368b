"""The committed artifacts must be what the Solidity sources compile to.

The platform runs from the committed ABI and bytecode and never needs Node, so nothing else would notice
a contract edited without recompiling. Without node or solc-js this skips locally, but fails in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.contracts import ARTIFACTS_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPILE_SCRIPT = REPO_ROOT / "scripts" / "compile_contracts.mjs"
FIX = "run `node scripts/compile_contracts.mjs` and commit src/sebrus/chain/artifacts/ with the sources"
COMPARED = ("abi", "bytecode", "deployedBytecode")


def _toolchain_or_skip() -> str:
    node = shutil.which("node")
    missing = []
    if node is None:
        missing.append("node")
    if not (REPO_ROOT / "node_modules" / "solc").is_dir():
        missing.append("node_modules/solc (run `npm ci`)")
    if missing:
        message = f"cannot recompile the contracts: missing {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must check the artifacts against the sources")
        pytest.skip(message)
    assert node is not None
    return node


def test_committed_artifacts_match_the_sources(tmp_path: Path) -> None:
    node = _toolchain_or_skip()
    result = subprocess.run(
        [node, str(COMPILE_SCRIPT), "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"the contracts do not compile:\n{result.stderr}\n{result.stdout}"

    fresh = {p.name for p in tmp_path.glob("*.json")}
    committed = {p.name for p in ARTIFACTS_DIR.glob("*.json")}
    assert fresh, "the compile script produced no artifacts"
    assert fresh == committed, (
        f"artifacts differ in which contracts they hold: only fresh {sorted(fresh - committed)}, "
        f"only committed {sorted(committed - fresh)}; {FIX}"
    )
    stale = []
    for name in sorted(fresh):
        new = json.loads((tmp_path / name).read_text())
        old = json.loads((ARTIFACTS_DIR / name).read_text())
        stale += [f"{name}: {key}" for key in COMPARED if new.get(key) != old.get(key)]
    assert not stale, f"committed artifacts are out of date with contracts/ ({', '.join(stale)}); {FIX}"
