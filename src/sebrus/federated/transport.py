"""Running the strategy and client over Flower's gRPC transport, as separate processes.

Flower 1.42 still ships ``start_server`` / ``start_client`` (in ``flwr.compat``, deprecated since
1.13 in favour of SuperLink/SuperNode processes plus ServerApp/ClientApp bundles). They run exactly
one server process and N client processes over gRPC with no Ray and no app packaging, which is what
a SeBRUS federation is; moving to SuperLink/SuperNode is a change of this module only.
"""

from __future__ import annotations

from flwr.compat.client.app import start_client
from flwr.server import ServerConfig, start_server
from flwr.server.history import History

from sebrus.federated.client import SebrusClient
from sebrus.federated.strategy import EliminatingFedAvg


def serve(strategy: EliminatingFedAvg, address: str, round_timeout: float | None = 600.0) -> History:
    """Run all of the config's rounds on ``address`` (host:port), blocking until the last one."""
    config = ServerConfig(num_rounds=strategy.config.rounds, round_timeout=round_timeout)
    return start_server(server_address=address, config=config, strategy=strategy)


def join(client: SebrusClient, address: str, max_wait_time: float = 120.0) -> None:
    """Connect to the server and serve its fit requests until it ends the federation."""
    start_client(
        server_address=address, client=client.to_client(), insecure=True, max_wait_time=max_wait_time
    )
