"""Anchoring one round: checked, sent in one transaction, stored; never anchored twice.

A round already stored is answered as it is (an engine restarted after a crash replays its rounds). A
round the chain has but the database does not (the process died between the receipt and the commit)
is read back from its ``RoundRecorded`` event and stored without sending again; if the chain's round
differs from the one offered, that is a conflict for a person, not something to paper over.

The loss reports' hash is recomputed here with the engine's own canonical form and must equal the
claimed one, so the hash that gets anchored covers the reports the API shows. Their signatures are
not checked here: each signs its client's update hash, and the update never reaches the platform;
the engine's strategy (``sebrus.federated.strategy.screen_result``) verifies every signature before
a report enters a round, and anyone holding an update can recheck its report with
``sebrus.federated.reports.recover_wallet``.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict, dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import select
from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.federation import MAX_EXCLUDED, ChainRound, FederationLedger
from sebrus.db.models import Federation, FederationRound
from sebrus.db.models.federations import FEDERATION_RUNNING
from sebrus.federated.records import LossReport, RoundRecord
from sebrus.federated.reports import loss_reports_sha256
from sebrus.primitives import normalize_sha256
from sebrus.services.addresses import normalize_address
from sebrus.services.errors import Conflict, InvalidInput
from sebrus.services.federation.anchoring import participants_root
from sebrus.services.review.chain_link import ChainUnavailable

_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
#: A refused client that named no valid wallet is recorded by its Flower node id (``node:<cid>``).
_NODE = re.compile(r"node:[A-Za-z0-9._:-]{1,100}")
_anchoring: dict[int, threading.Lock] = {}
_anchoring_guard = threading.Lock()


@dataclass(frozen=True)
class AnchoredRound:
    row: FederationRound
    created: bool  # False when the round was already stored (a replay)


def federation_lock(federation_id: int) -> threading.Lock:
    """Calls for one federation take turns in this process: a chain read and its send stay together."""
    with _anchoring_guard:
        return _anchoring.setdefault(federation_id, threading.Lock())


def anchor_round(
    db: Session, ledger: FederationLedger, operator: LocalAccount, federation: Federation, record: RoundRecord
) -> AnchoredRound:
    """Anchor ``record`` for ``federation`` (or find it anchored) and store it; commits."""
    checked = _checked(federation, record)
    with federation_lock(federation.id):
        return _anchor_checked(db, ledger, operator, federation, checked)


def _anchor_checked(
    db: Session,
    ledger: FederationLedger,
    operator: LocalAccount,
    federation: Federation,
    checked: FederationRound,
) -> AnchoredRound:
    existing = db.scalar(
        select(FederationRound).where(
            FederationRound.federation_id == federation.id, FederationRound.round_index == checked.round_index
        )
    )
    if existing is not None:
        if _facts(existing) != _facts(checked):
            raise Conflict(
                f"Round {checked.round_index} of federation {federation.id} was anchored with other facts."
            )
        return AnchoredRound(existing, created=False)
    db.refresh(federation)  # another call may have finished it while this one waited
    if federation.status != FEDERATION_RUNNING:
        raise Conflict(f"Federation {federation.id} has finished: its final model is recorded.")
    anchored = _already_on_chain(ledger, federation, checked)
    if anchored is None:
        anchored = _send(ledger, operator, federation, checked)
    checked.tx_hash = anchored.tx_hash
    checked.block_number = anchored.block_number
    db.add(checked)
    db.commit()
    return AnchoredRound(checked, created=True)


def _checked(federation: Federation, record: RoundRecord) -> FederationRound:
    if record.federation_id != federation.id:
        raise InvalidInput(f"The record names federation {record.federation_id}, not {federation.id}.")
    rounds = int(federation.config.get("rounds", 0))
    if not 1 <= record.round_index <= rounds:
        raise InvalidInput(
            f"Round {record.round_index} is outside this federation's 1 to {rounds}.", field="round_index"
        )
    participants = [normalize_address(w, "participants") for w in record.participants]
    excluded = [normalize_address(w, "excluded") for w in record.excluded]
    refused = [w if _NODE.fullmatch(w) else normalize_address(w, "refused") for w in record.refused]
    if len(set(participants)) != len(participants):
        raise InvalidInput("A wallet is listed twice among the participants.", field="participants")
    if not set(excluded) <= set(participants) or len(set(excluded)) != len(excluded):
        raise InvalidInput("Excluded wallets must be distinct participants of the round.", field="excluded")
    if len(excluded) > MAX_EXCLUDED:
        raise InvalidInput(f"A round may exclude at most {MAX_EXCLUDED} wallets.", field="excluded")
    if excluded and not record.separated:
        raise InvalidInput(
            "Wallets were excluded although the gap test did not separate two clusters.", field="excluded"
        )
    try:
        aggregate = normalize_sha256(record.aggregate_sha256)
        losses = normalize_sha256(record.loss_reports_sha256)
    except ValueError as exc:
        raise InvalidInput(f"A round's hashes must be sha256 hex: {exc}.") from None
    reports = [asdict(r) for r in record.loss_reports]
    for report in reports:
        report["wallet"] = normalize_address(report["wallet"], "loss_reports")
        if not math.isfinite(report["noisy_loss"]) or report["num_examples"] < 0:
            raise InvalidInput(
                "A loss report needs a finite loss and a count of examples.", field="loss_reports"
            )
        if not _SIGNATURE.fullmatch(str(report["signature"])):
            raise InvalidInput("A loss report's signature must be 65 bytes of 0x hex.", field="loss_reports")
    if sorted(r["wallet"] for r in reports) != sorted(participants):
        raise InvalidInput(
            "A round needs exactly one loss report from each participant, and none from anyone else.",
            field="loss_reports",
        )
    recomputed = loss_reports_sha256([LossReport(**r) for r in reports])
    if recomputed != losses:
        raise InvalidInput(
            f"The loss reports hash to {recomputed}, not the claimed loss_reports_sha256 {losses}: "
            "the hash is the engine's canonical JSON of the reports in the record's order.",
            field="loss_reports_sha256",
        )
    return FederationRound(
        federation_id=federation.id,
        round_index=record.round_index,
        participants=participants,
        excluded=excluded,
        refused=refused,
        separated=record.separated,
        participants_root=participants_root(participants),
        aggregate_sha256=aggregate,
        loss_reports_sha256=losses,
        loss_reports=reports,
    )


def _facts(row: FederationRound) -> tuple[object, ...]:
    """What a retry must repeat exactly (the order of participants does not matter; the root sorts)."""
    return (row.participants_root, tuple(row.excluded), row.aggregate_sha256, row.loss_reports_sha256)


def _same(found: ChainRound, row: FederationRound) -> bool:
    return (
        found.participants_root.hex() == row.participants_root
        and found.participant_count == len(row.participants)
        and list(found.excluded) == list(row.excluded)
        and found.aggregate_sha256.hex() == row.aggregate_sha256
        and found.loss_reports_sha256.hex() == row.loss_reports_sha256
    )


def _already_on_chain(
    ledger: FederationLedger, federation: Federation, row: FederationRound
) -> ChainRound | None:
    """The chain's record of this round when a crashed attempt anchored it; None when it has none."""
    try:
        summary = ledger.federation(federation.chain_federation_id)
        if summary is None:
            raise ChainUnavailable(
                f"The chain has no federation {federation.chain_federation_id}: was the node reset?"
            )
        if summary.last_round < row.round_index:
            return None
        found = [
            r
            for r in ledger.rounds(federation.chain_federation_id, federation.open_block)
            if r.round_index == row.round_index
        ]
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not read the federation from the chain: {exc}") from exc
    if not found:
        raise Conflict(
            f"The chain already holds round {summary.last_round} of this federation, "
            f"after round {row.round_index}."
        )
    if not _same(found[0], row):
        raise Conflict(f"The chain holds a different round {row.round_index} for this federation.")
    return found[0]


def _send(
    ledger: FederationLedger, operator: LocalAccount, federation: Federation, row: FederationRound
) -> ChainRound:
    try:
        result = ledger.record_round(
            operator,
            federation.chain_federation_id,
            round_index=row.round_index,
            participants_root=row.participants_root,
            participant_count=len(row.participants),
            excluded=row.excluded,
            aggregate_sha256=row.aggregate_sha256,
            loss_reports_sha256=row.loss_reports_sha256,
        )
    except ContractReverted as exc:
        raise ChainUnavailable(f"The chain refused round {row.round_index}: {exc}") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not anchor round {row.round_index}: {exc}") from exc
    anchored = ledger.round_in(result)
    if anchored is None:
        raise ChainUnavailable(f"Transaction {result.tx_hash} anchored no round.")
    return anchored
