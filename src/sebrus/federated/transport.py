"""Running the strategy and client over Flower's gRPC transport, as separate processes.

Flower 1.42 still ships ``start_server`` / ``start_client`` (in ``flwr.compat``, deprecated since
1.13 in favour of SuperLink/SuperNode processes plus ServerApp/ClientApp bundles). They run exactly
one server process and N client processes over gRPC with no Ray and no app packaging, which is what
a SeBRUS federation is; moving to SuperLink/SuperNode is a change of this module only.
"""

from __future__ import annotations

import time

import grpc
from flwr.compat.client.app import start_client
from flwr.server import Server, ServerConfig, SimpleClientManager, start_server
from flwr.server.history import History

from sebrus.federated.client import SebrusClient
from sebrus.federated.strategy import EliminatingFedAvg


class _StoppingServer(Server):
    """A Flower server that, when a round fails (the sink refused it: the platform answered 4xx, the
    chain was down), still disconnects its clients and stops its gRPC server, then lets ``serve``
    raise. Flower's ``start_server`` skips both when ``fit`` raises, and its gRPC threads then keep
    the process, and every client waiting on its stream, alive for ever."""

    failure: BaseException | None = None

    def fit(self, num_rounds: int, timeout: float | None) -> tuple[History, float]:
        try:
            return super().fit(num_rounds, timeout)
        except Exception as exc:  # re-raised by serve once the clients are let go
            self.failure = exc
            return History(), 0.0


def serve(strategy: EliminatingFedAvg, address: str, round_timeout: float | None = 600.0) -> History:
    """Run all of the config's rounds on ``address`` (host:port), blocking until the last one.

    A round that fails ends the federation: the clients are told to disconnect, then the failure is
    raised here.
    """
    config = ServerConfig(num_rounds=strategy.config.rounds, round_timeout=round_timeout)
    server = _StoppingServer(client_manager=SimpleClientManager(), strategy=strategy)
    history = start_server(server_address=address, config=config, server=server)
    if server.failure is not None:
        raise server.failure
    return history


def join(client: SebrusClient, address: str, max_wait_time: float = 120.0) -> None:
    """Connect to the server and serve its fit requests until it ends the federation.

    The legacy gRPC client gives up at once if the server is not listening yet; a client started
    before its server (normal when people join by hand) retries the first connection for up to
    ``max_wait_time`` seconds. Once it has taken part in a round, a lost connection is final.
    """
    deadline = time.monotonic() + max_wait_time
    while True:
        try:
            start_client(server_address=address, client=client.to_client(), insecure=True)
            return
        except grpc.RpcError as exc:
            unavailable = getattr(exc, "code", lambda: None)() == grpc.StatusCode.UNAVAILABLE
            if not unavailable or client.rounds_done > 0 or time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def wait_for_port(host: str, port: int, timeout: float = 60.0) -> None:
    """Block until something accepts TCP connections on host:port (the server is up)."""
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f} s") from None
            time.sleep(0.2)
