"""``sebrus.Client`` is the SDK's client, imported only when first asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sebrus
from sebrus.sdk import Client


def test_sebrus_client_is_exported_lazily() -> None:
    assert sebrus.Client is Client
    code = "import sys, sebrus; assert 'sebrus.sdk' not in sys.modules; sebrus.Client; print('ok')"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.stdout.strip() == "ok", run.stderr
    with pytest.raises(AttributeError):
        sebrus.NoSuchThing  # noqa: B018
