"""Event decoding: raw logs into :class:`ChainEvent`, for every contract SeBRUS knows.

The ledger, the review network and the revocations registry each declare their contracts as an
event *source*: an ABI plus ``owns(address)``, which says whether a log's address is one of that
source's contracts. Decoding goes by topic first and asks ``owns`` only for sources declaring that
topic, so a look-alike contract emitting the same event is never taken for ours, and no source needs
to know about the others.

Topics come from ``eth_utils.event_abi_to_log_topic`` rather than hand-built signatures, so struct
arguments are spelled exactly as the compiler does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from eth_utils import event_abi_to_log_topic, to_checksum_address
from web3.contract import Contract

from sebrus.chain.reverts import plain
from sebrus.chain.types import ChainEvent

ContractAt = Callable[[str, list[dict[str, Any]]], Contract]
Owns = Callable[[str], bool]


class EventDecoder:
    """Decodes the logs of every registered source; sources are tried in registration order."""

    def __init__(self, contract_at: ContractAt) -> None:
        self._contract_at = contract_at
        self._sources: dict[str, tuple[list[dict[str, Any]], Owns]] = {}
        self._topics: dict[bytes, list[tuple[str, str]]] = {}

    def register(self, source: str, abi: list[dict[str, Any]], owns: Owns) -> None:
        """Decode ``source``'s events from now on; registering a source again replaces it.

        ``owns(address)`` gets a checksummed address and is asked only for logs whose topic the
        source declares.
        """
        self._sources[source] = (abi, owns)
        self._topics = self._event_topics()

    def topics(self, names: Sequence[str] | None = None) -> list[bytes]:
        """The topics of the events called ``names`` (all known events when None)."""
        return [t for t, kinds in self._topics.items() if names is None or any(e in names for _, e in kinds)]

    def decode_all(self, logs: Iterable[Any]) -> tuple[ChainEvent, ...]:
        """The logs that belong to a known source, decoded, in the order given."""
        return tuple(e for e in (self.decode(log) for log in logs) if e is not None)

    def decode(self, log: Any) -> ChainEvent | None:
        """``log`` decoded, or None when no registered source owns its address and topic."""
        if not log["topics"]:
            return None
        key = bytes(log["topics"][0])
        address = to_checksum_address(log["address"])
        candidates = ((name, self._owner(source, address)) for source, name in self._topics.get(key, ()))
        found = next(((name, contract) for name, contract in candidates if contract is not None), None)
        if found is None:
            return None
        name, contract = found
        processed = contract.events[name]().process_log(log)
        return ChainEvent(
            name=name,
            address=address,
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            args={k: plain(v) for k, v in processed["args"].items()},
        )

    def _owner(self, source: str, address: str) -> Contract | None:
        """The contract to decode ``source``'s event with, if ``address`` is one of that source's."""
        abi, owns = self._sources[source]
        return self._contract_at(address, abi) if owns(address) else None

    def _event_topics(self) -> dict[bytes, list[tuple[str, str]]]:
        """Each event's topic, with every (source, event name) that declares it.

        One signature can belong to several sources (AccessControl's RoleGranted, for one).
        """
        topics: dict[bytes, list[tuple[str, str]]] = {}
        for source, (abi, _) in self._sources.items():
            for entry in abi:
                if entry.get("type") == "event":
                    topic = event_abi_to_log_topic(entry)  # type: ignore[arg-type]
                    topics.setdefault(topic, []).append((source, entry["name"]))
        return topics
