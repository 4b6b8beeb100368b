"""Federated training on chain: open a federation, anchor its rounds and its final model, read them back.

A wrapper over :class:`~sebrus.chain.ledger.Ledger` like the release registry (sending through its
transactor, so nonces, locks and revert decoding are shared). The FederationLog is deployed with the
platform (``sebrus chain init``), its address kept in the deployment record. Rounds live in events
only (the contract stores a summary), so verification reads them back with ``eth_getLogs``; see
``contracts/FederationLog.sol`` for why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from sebrus.chain.artifacts import load_artifact
from sebrus.chain.errors import ContractReverted, InvalidInput, LedgerError, NotDeployed
from sebrus.chain.ledger import Ledger
from sebrus.chain.reverts import REVERTS, reverted
from sebrus.chain.shipped_code import shipped_contract_at
from sebrus.chain.types import TxResult
from sebrus.chain.validation import checked_address, checked_hash

MAX_EXCLUDED = 256  # FederationLog.MAX_EXCLUDED
MAX_UINT32 = 2**32 - 1
# Measured on py-evm (tests/contracts/test_federation_log.py's chain): open 126k, a round 37k with
# nobody excluded and 262k with 256 excluded (about 880 a wallet), the final model 50k.
GAS_OPEN = 200_000
GAS_FINAL_MODEL = 80_000
GAS_ROUND_BASE = 70_000
GAS_ROUND_PER_EXCLUDED = 1_500


@dataclass(frozen=True)
class ChainFederation:
    """A federation's summary as the contract stores it."""

    federation_id: int
    dataset: str
    operator: str
    last_round: int
    round_count: int
    max_rounds: int
    opened_at: int
    config_hash: bytes
    model_sha256: bytes | None  # None until the final model is recorded


@dataclass(frozen=True)
class ChainRound:
    """One ``RoundRecorded`` event, read back from the chain."""

    federation_id: int
    round_index: int
    participants_root: bytes
    participant_count: int
    excluded: tuple[str, ...]
    aggregate_sha256: bytes
    loss_reports_sha256: bytes
    tx_hash: str
    block_number: int


class FederationLedger:
    """The FederationLog's writes and reads, through an open :class:`Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._tx = ledger.transactor
        self._abi = load_artifact("FederationLog").abi
        ledger.register_event_source("FederationLog", self._abi, self._is_log)

    @property
    def address(self) -> str:
        address = self._ledger.deployment.federation_log
        if address is None:
            raise NotDeployed("the FederationLog is not deployed on this chain; run `sebrus chain init`")
        return address

    def _is_log(self, address: str) -> bool:
        return self._ledger.is_deployed and address == self._ledger.deployment.federation_log

    def _log(self) -> Contract:
        return self._tx.contract(self.address, self._abi)

    # ------------------------------------------------------------------ writes

    def open(
        self, admin: LocalAccount, dataset: str, *, operator: str, config_hash: bytes | str, max_rounds: int
    ) -> tuple[int, TxResult]:
        """Open a federation on ``dataset`` (the admin signs); returns its id and the transaction."""
        address = self._ledger.require_dataset(dataset)
        if not 0 < max_rounds <= MAX_UINT32:
            raise InvalidInput(f"a federation runs 1 to {MAX_UINT32} rounds, got {max_rounds}")
        args = (
            address,
            checked_address(operator, "operator"),
            checked_hash(config_hash, "config hash"),
            max_rounds,
        )
        result = self._tx.send(admin, self._log(), "open", args, gas=GAS_OPEN)
        opened = [e for e in result.events if e.name == "FederationOpened"]
        if len(opened) != 1:
            raise LedgerError(f"transaction {result.tx_hash} opened no federation")
        return int(opened[0].args["federationId"]), result

    def record_round(
        self,
        operator: LocalAccount,
        federation_id: int,
        *,
        round_index: int,
        participants_root: bytes | str,
        participant_count: int,
        excluded: Sequence[str],
        aggregate_sha256: bytes | str,
        loss_reports_sha256: bytes | str,
    ) -> TxResult:
        """Anchor one round in one transaction; the contract refuses old indices and other senders."""
        if not 0 < round_index <= MAX_UINT32:
            raise InvalidInput(f"a round index is a positive 32-bit integer, got {round_index}")
        if not 0 <= participant_count <= MAX_UINT32:
            raise InvalidInput(f"a participant count is a 32-bit integer, got {participant_count}")
        if len(excluded) > MAX_EXCLUDED:
            raise InvalidInput(f"a round names at most {MAX_EXCLUDED} excluded wallets, got {len(excluded)}")
        if len(excluded) > participant_count:
            raise InvalidInput("a round cannot exclude more wallets than took part")
        args = (
            federation_id,
            round_index,
            _hash_or_zero(participants_root, "participants root"),
            participant_count,
            [checked_address(w, "excluded wallet") for w in excluded],
            checked_hash(aggregate_sha256, "aggregate sha256"),
            checked_hash(loss_reports_sha256, "loss reports sha256"),
        )
        gas = GAS_ROUND_BASE + GAS_ROUND_PER_EXCLUDED * len(excluded)
        return self._tx.send(operator, self._log(), "recordRound", args, gas=gas)

    def record_final_model(
        self, operator: LocalAccount, federation_id: int, model_sha256: bytes | str
    ) -> TxResult:
        args = (federation_id, checked_hash(model_sha256, "model sha256"))
        return self._tx.send(operator, self._log(), "recordFinalModel", args, gas=GAS_FINAL_MODEL)

    # ------------------------------------------------------------------ reads

    def federation(self, federation_id: int) -> ChainFederation | None:
        """The federation's summary, or None when no federation has that id."""
        try:
            raw = self._tx.call(self._log().functions.federation(federation_id))
        except ContractReverted as refused:
            if refused.error == "UnknownFederation":
                return None
            raise
        return _chain_federation(federation_id, raw)

    def rounds(self, federation_id: int, from_block: int = 0) -> list[ChainRound]:
        """Every round anchored for ``federation_id``, in chain order (read from the events)."""
        events = self._tx.find_events(from_block, None, ["RoundRecorded"])
        return [_chain_round(e.args, e.tx_hash, e.block_number) for e in events if _is(e.args, federation_id)]

    def final_model_events(self, federation_id: int, from_block: int = 0) -> list[tuple[bytes, str]]:
        """Each ``FinalModelRecorded`` of the federation as (sha256, tx hash); the contract allows one."""
        events = self._tx.find_events(from_block, None, ["FinalModelRecorded"])
        return [(bytes(e.args["modelSha256"]), e.tx_hash) for e in events if _is(e.args, federation_id)]

    def round_in(self, result: TxResult) -> ChainRound | None:
        """The round a transaction anchored, read from its receipt."""
        for event in result.events:
            if event.name == "RoundRecorded":
                return _chain_round(event.args, result.tx_hash, result.block_number)
        return None


def _chain_federation(federation_id: int, raw: Any) -> ChainFederation:
    dataset, last, count, operator, max_rounds, opened_at, config, model = raw
    return ChainFederation(
        federation_id=federation_id,
        dataset=to_checksum_address(dataset),
        operator=to_checksum_address(operator),
        last_round=int(last),
        round_count=int(count),
        max_rounds=int(max_rounds),
        opened_at=int(opened_at),
        config_hash=bytes(config),
        model_sha256=None if bytes(model) == bytes(32) else bytes(model),
    )


def _is(args: dict[str, Any], federation_id: int) -> bool:
    return int(args["federationId"]) == federation_id


def _hash_or_zero(value: bytes | str, name: str) -> bytes:
    """A participants root may be zero (a round nobody sent a well-formed update to)."""
    if value in (b"\x00" * 32, "0" * 64, "0x" + "0" * 64):
        return bytes(32)
    return checked_hash(value, name)


def _chain_round(args: dict[str, Any], tx_hash: str, block_number: int) -> ChainRound:
    return ChainRound(
        federation_id=int(args["federationId"]),
        round_index=int(args["roundIndex"]),
        participants_root=bytes(args["participantsRoot"]),
        participant_count=int(args["participantCount"]),
        excluded=tuple(to_checksum_address(a) for a in args["excluded"]),
        aggregate_sha256=bytes(args["aggregateSha256"]),
        loss_reports_sha256=bytes(args["lossReportsSha256"]),
        tx_hash=tx_hash,
        block_number=block_number,
    )


def read_federation_at(url: str, log_address: str, federation_id: int) -> ChainFederation | None:
    """Read a federation from the FederationLog at ``log_address`` on the chain at ``url``, trusting
    nothing local (``sebrus federate verify``). The contract's code must be exactly SeBRUS's
    FederationLog, so a server naming a look-alike contract cannot vouch for its own model."""
    contract = shipped_contract_at(url, log_address, "FederationLog", "federation log address")
    try:
        raw = contract.functions.federation(federation_id).call()
    except REVERTS as exc:
        refused = reverted(exc, None)
        if refused.error == "UnknownFederation":
            return None
        raise refused from exc
    return _chain_federation(federation_id, raw)
