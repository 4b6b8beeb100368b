"""A real SeBRUS server for client tests: the whole platform behind uvicorn on a free local port.

The SDK and the CLI are clients of HTTP, so they are tested over real HTTP, in a background thread.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from PIL import Image

from sebrus.config import Settings
from sebrus.platform import ChainServices, build_platform

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class LiveServer:
    url: str
    services: ChainServices


def cheap_settings(data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=data_dir,
        password_time_cost=1,
        password_memory_cost_kib=8,
        password_parallelism=1,
        upload_wait_seconds=20,
        **overrides,  # type: ignore[arg-type]
    )


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    app, services = build_platform(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True)
    services.start()
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        yield LiveServer(url=f"http://127.0.0.1:{port}", services=services)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        services.stop()
        app.state.platform.engine.dispose()


def closed_port_url() -> str:
    """A local URL where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def png(seed: int, size: tuple[int, int] = (8, 8)) -> bytes:
    """A small PNG whose bytes differ for every seed."""
    image = Image.new("RGB", size, color=(seed % 256, (seed // 256) % 256, 7))
    image.putpixel((0, 0), ((seed * 7) % 256, 3, 5))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
