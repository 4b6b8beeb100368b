"""A real SeBRUS server for client tests: the whole platform behind uvicorn on a free local port.

The SDK and the CLI are clients of HTTP, so they are tested over real HTTP, in a background thread.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

from sebrus.config import Settings
from sebrus.platform import ChainServices
from sebrus.testing.cluster import free_port
from tests.support.platform import started

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class LiveServer:
    url: str
    services: ChainServices


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    with started(settings) as (app, services), serving(app) as url:
        yield LiveServer(url=url, services=services)


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` behind uvicorn on a free local port, for as long as the block runs; yields its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def closed_port_url() -> str:
    """A local URL where nothing listens (the port was free a moment ago)."""
    return f"http://127.0.0.1:{free_port()}"
