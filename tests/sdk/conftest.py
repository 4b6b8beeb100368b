from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from sebrus.sdk import Client
from tests.support.live_server import PASSWORD, LiveServer

_names = itertools.count()


@pytest.fixture
def new_user(server: LiveServer) -> Iterator[Callable[[], Client]]:
    """Registers a fresh account and returns a client logged in as it."""
    clients: list[Client] = []

    def make() -> Client:
        client = Client(server.url)
        clients.append(client)
        username = f"user{next(_names)}"
        client.register(username, PASSWORD)
        client.login(username, PASSWORD)
        return client

    yield make
    for client in clients:
        client.close()
