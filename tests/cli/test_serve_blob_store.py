"""``sebrus serve`` with a blob store it cannot use stops at once, saying why, before touching the chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sebrus.cli import app as cli_app
from tests.support.live_server import free_port
from tests.support.s3 import S3Server


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("gs://bucket/x", "unknown scheme 'gs'"),
        ("s3://", "names no bucket"),
        ("s3://missing-bucket", "does not exist"),
    ],
)
def test_serve_refuses_a_blob_url_it_cannot_use(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, sentence: str
) -> None:
    monkeypatch.setenv("SEBRUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SEBRUS_BLOB_URL", url)
    monkeypatch.setenv("SEBRUS_S3_ENDPOINT_URL", s3_server.endpoint_url)
    result = CliRunner().invoke(cli_app, ["serve", "--port", str(free_port())])
    said = " ".join(result.output.split())  # the console wraps long lines
    assert result.exit_code == 1, result.output
    assert "cannot open the blob store" in said and sentence in said
    assert not (tmp_path / "chain").exists()  # it stopped before opening (or deploying on) the chain
