"""The interactive API reference at ``/docs``: Swagger UI, served by the app itself.

FastAPI's own pages load Swagger UI (and ReDoc) from a CDN and start it with an inline script; that made
the docs the one page that needed the network and a looser Content-Security-Policy. Here the files of
``swagger-ui-dist`` (pinned in package.json, copied into ``static/swagger/`` with its licence by
``scripts/vendor_swagger_ui.sh``) and our own starter, ``static/swagger-init.js``, are served under
``/docs/assets/``, so the page keeps ``script-src 'self'``. ReDoc is not offered.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
STATIC_DIR = Path(__file__).resolve().parent / "static"


def docs_page(title: str, openapi_url: str) -> str:
    """The page: Swagger UI's stylesheet and bundle, then the starter, which reads the spec's URL from
    the ``data-openapi-url`` attribute (no inline script needed)."""
    assets = ASSETS_PATH
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{assets}/swagger/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{assets}/swagger/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets; the app must be built with ``docs_url=None, redoc_url=None``."""
    page = docs_page(f"{app.title} API", app.openapi_url or "/openapi.json")
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page)
