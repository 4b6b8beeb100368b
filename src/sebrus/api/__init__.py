"""The HTTP face: thin FastAPI routers over the services."""

from sebrus.api.app import create_app

__all__ = ["create_app"]
