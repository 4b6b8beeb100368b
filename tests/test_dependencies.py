"""pyproject.toml states ranges, constraints.txt pins them; optional services stay optional at import."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def test_every_dependency_is_a_range_pinned_inside_it_by_the_lock() -> None:
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} has no pin in constraints.txt"
        pinned = pins[name]
        assert requirement.specifier.contains(pinned, prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pinned}, outside pyproject's {requirement.specifier}"
        )
        exact = any(spec.operator == "==" for spec in requirement.specifier)
        # torch alone is exact: the CPU wheel on the development machines; anything newer pulls CUDA.
        assert exact == (name == "torch"), f"{requirement} should state a range (the lock pins it)"


def test_imagehash_is_gone_and_the_optional_services_are_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {canonicalize_name(Requirement(line).name) for line in project["dependencies"]}
    assert not core & {"imagehash", "redis", "rq", "psycopg", "adversarial-robustness-toolbox", "boto3"}
    extras = project["optional-dependencies"]
    assert {canonicalize_name(Requirement(r).name) for r in extras["workers"]} == {"redis", "rq"}
    assert [canonicalize_name(Requirement(r).name) for r in extras["postgres"]] == ["psycopg"]
    assert [canonicalize_name(Requirement(r).name) for r in extras["s3"]] == ["boto3"]


BLOCKED = """
import sys
for name in ("redis", "rq", "psycopg", "art", "boto3", "botocore"):
    sys.modules[name] = None  # importing any of them now raises ImportError
from pathlib import Path
import tempfile
from sebrus.config import Settings
from sebrus.platform import build_platform
import sebrus.cli
import sebrus.detect.scan
from sebrus.jobs import queue
app, services = build_platform(Settings(data_dir=Path(tempfile.mkdtemp())))
try:
    queue.connect("redis://127.0.0.1:6379")
except RuntimeError as refused:
    print("REFUSED:", refused)
from sebrus.db.engine import make_engine
try:
    make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
except RuntimeError as refused:
    print("REFUSED:", refused)
from sebrus.blobs import BlobStoreUnavailable, open_blob_store
try:
    open_blob_store(Settings(blob_url="s3://bucket/prefix"))
except BlobStoreUnavailable as refused:
    print("REFUSED:", refused)
"""


SCAN_WITHOUT_DETECT = """
import sys
for name in ("torch", "sklearn", "scipy", "matplotlib", "safetensors"):
    sys.modules[name] = None
import tempfile
from pathlib import Path
from types import SimpleNamespace
from fastapi.testclient import TestClient
from sebrus.config import Settings
from sebrus.platform import build_platform
from sebrus.services.scans import runner
app, services = build_platform(Settings(data_dir=Path(tempfile.mkdtemp())))
print("HEALTH:", TestClient(app).get("/api/health").status_code)
try:
    runner._detect(SimpleNamespace(), SimpleNamespace(), None)
except RuntimeError as refused:
    print("REFUSED:", refused)
"""


def test_without_the_detect_extra_the_platform_serves_and_a_scan_fails_naming_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCAN_WITHOUT_DETECT], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "HEALTH: 200" in done.stdout
    assert "REFUSED:" in done.stdout and "sebrus[detect]" in done.stdout


def test_the_platform_runs_without_redis_rq_psycopg_art_or_boto3_and_names_the_missing_extra() -> None:
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    refusals = [line for line in done.stdout.splitlines() if line.startswith("REFUSED:")]
    assert len(refusals) == 3
    assert "sebrus[workers]" in refusals[0] and "sebrus[postgres]" in refusals[1]
    assert "sebrus[s3]" in refusals[2]
