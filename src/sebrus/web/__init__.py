"""The server-rendered web UI: pages over the same services and session cookie as the REST API."""

from sebrus.web.mount import install_web

__all__ = ["install_web"]
