"""Peak memory of an API server sent one large chunked JSON body to ``POST /api/session``.

The security audit (issue 15, item 2) saw 300 MB sent this way take a server from 386 to 1,287 MB
before it answered 401. This starts the API alone behind uvicorn (SQLite in a temporary data dir) from
the given source tree, sends the body in 1 MB chunks without ``Content-Length``, and reads the
server's resident set (``VmRSS``) and its peak (``VmHWM``) from ``/proc``. Linux only.

    .venv/bin/python benchmarks/body_cap_memory.py                  # this tree, 300 MB
    .venv/bin/python benchmarks/body_cap_memory.py --src OLD/src     # another checkout's sources
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024
SERVER = """
import sys
sys.path.insert(0, {src!r})
import uvicorn
from sebrus.api import create_app
from sebrus.config import Settings
settings = Settings(
    data_dir={data!r}, password_time_cost=1, password_memory_cost_kib=8, password_parallelism=1
)
uvicorn.run(create_app(settings), host="127.0.0.1", port={port}, log_level="warning")
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _memory_mb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def _wait_for(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _send_chunked(port: int, total: int) -> tuple[str, int]:
    """The answer's status line, and how many body bytes went out before the server stopped taking them."""
    chunk = b" " * MIB
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /api/session HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sent = 0
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(120)
        return sock.recv(4096).split(b"\r\n")[0].decode(), sent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--megabytes", type=int, default=300)
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        code = SERVER.format(src=str(args.src.resolve()), data=data, port=port)
        server = subprocess.Popen([sys.executable, "-c", code])
        try:
            _wait_for(port)
            time.sleep(1)
            before = _memory_mb(server.pid, "VmRSS")
            started = time.monotonic()
            status, sent = _send_chunked(port, args.megabytes * MIB)
            elapsed = time.monotonic() - started
            time.sleep(1)
            print(
                f"{args.src}: {status!r} after {elapsed:.1f} s ({sent // MIB} MB sent); server RSS "
                f"{before} MB before, peak {_memory_mb(server.pid, 'VmHWM')} MB, "
                f"{_memory_mb(server.pid, 'VmRSS')} MB after"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
