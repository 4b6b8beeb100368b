"""``RemoteRoundSink`` retries what the server could not finish and raises what it refused."""

from __future__ import annotations

from typing import Any

import pytest

from sebrus.federated.records import RoundRecord
from sebrus.sdk.errors import InvalidRequest, SebrusError
from sebrus.sdk.federations import FederationMethods, RemoteRoundSink

RECORD = RoundRecord(1, 1, (), (), (), False, "00" * 32, "00" * 32)


class Flaky(FederationMethods):
    def __init__(self, failures: list[SebrusError]) -> None:
        self.failures = failures
        self.calls = 0

    def record_federation_round(self, record: RoundRecord) -> dict[str, Any]:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return {}


def test_transient_failures_are_retried_until_the_round_is_anchored() -> None:
    client = Flaky([SebrusError(None, "unreachable"), SebrusError(503, "chain down")])
    RemoteRoundSink(client, attempts=3, pause=0).record_round(RECORD)
    assert client.calls == 3


def test_a_refusal_is_raised_at_once_and_retries_end() -> None:
    refused = Flaky([InvalidRequest(400, "The loss reports hash to ...")])
    with pytest.raises(InvalidRequest):
        RemoteRoundSink(refused, attempts=3, pause=0).record_round(RECORD)
    assert refused.calls == 1
    down = Flaky([SebrusError(503, "down")] * 3)
    with pytest.raises(SebrusError, match="down"):
        RemoteRoundSink(down, attempts=3, pause=0).record_round(RECORD)
    assert down.calls == 3
