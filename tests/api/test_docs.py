"""/docs, the interactive API reference, is served entirely by the app: no CDN, no inline script."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

import sebrus.api
from sebrus.api.security import STRICT_CSP

ROOT = Path(__file__).resolve().parents[2]
VENDORED = Path(sebrus.api.__file__).parent / "static" / "swagger"
REFERENCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


def test_the_docs_page_names_no_url_outside_the_app_and_every_asset_answers(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert re.search(r"https?:|//[a-z]", page.text, re.IGNORECASE) is None, page.text
    assets = REFERENCES.findall(page.text)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    }
    assert "<script>" not in page.text  # every script is a file of the app's, as script-src 'self' asks
    types = {}
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.content, asset
        types[asset.rsplit(".", 1)[-1]] = answer.headers["content-type"]
    assert types["js"].startswith("text/javascript") and types["css"].startswith("text/css")
    assert types["png"] == "image/png"


def test_the_docs_policy_allows_only_the_apps_own_scripts(client: TestClient) -> None:
    policy = client.get("/docs").headers["content-security-policy"]
    assert "http" not in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert policy.startswith(STRICT_CSP)
    assert client.get("/api/health").headers["content-security-policy"] == STRICT_CSP


def test_the_vendored_swagger_ui_is_the_pinned_one_with_its_licence() -> None:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["swagger-ui-dist"]
    assert (VENDORED / "VERSION").read_text().strip() == pinned
    assert "Apache License" in (VENDORED / "LICENSE").read_text()
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/swagger-ui-dist"]["version"] == pinned
