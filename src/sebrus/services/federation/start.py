"""Starting a federation: the owner's request checked, opened on chain, then stored.

The request is checked twice before anything is sent: against the platform's rules
(``config.checked_config``) and against the engine's (``sebrus.federated.platform_config``, which
imports neither Flower nor torch), so a federation the engine would refuse is never opened.

The chain is written first: the owner's custodial wallet (which holds the dataset's admin role) opens
the federation on the FederationLog and names the platform's relayer account as its operator, so the
Flower server's rounds are anchored without the owner's key. The row is stored only after the
transaction was mined. A crash in between leaves an opened federation on chain with no rows, which
records nothing and is harmless; the owner starts again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.federation import FederationLedger
from sebrus.db.models import Dataset, Federation, User, WalletKind
from sebrus.services import audit_log
from sebrus.services.accounts.roles import require_owner
from sebrus.services.errors import InvalidInput, PermissionDenied
from sebrus.services.federation.config import checked_config
from sebrus.services.review.chain_link import ChainLink, ChainUnavailable


def engine_problem(config: Mapping[str, Any]) -> str | None:
    """Why the engine (``sebrus.federated``) would refuse ``config``, or None when it would run it."""
    from sebrus.federated.platform_config import check_platform_config

    try:
        check_platform_config(config)
    except ValueError as exc:
        return str(exc)
    return None


def start_federation(
    db: Session,
    *,
    link: ChainLink,
    federations: FederationLedger,
    dataset: Dataset,
    user: User,
    request: Mapping[str, Any],
) -> Federation:
    """Open a federation on ``dataset`` with the owner's configuration; nothing is stored on refusal."""
    require_owner(db, dataset, user, "start federated training on")
    config = checked_config(dataset, request)
    engine_refusal = engine_problem(config.to_json())
    if engine_refusal is not None:  # before the chain: what the engine cannot run is never opened
        raise InvalidInput(f"The federated engine cannot run this configuration: {engine_refusal}.")
    wallet = next((w for w in user.wallets if w.kind is WalletKind.CUSTODIAL), None)
    if wallet is None:
        raise PermissionDenied(
            "Starting a federation needs your custodial wallet, which holds the dataset's admin role."
        )
    operator = link.operators.relayer.address
    try:
        chain_id, result = federations.open(
            link.signer_for(wallet),
            dataset.address,
            operator=operator,
            config_hash=config.sha256,
            max_rounds=config.rounds,
        )
    except ContractReverted as exc:
        if exc.error == "NotDatasetAdmin":
            raise PermissionDenied("Your wallet does not hold this dataset's admin role on chain.") from exc
        raise ChainUnavailable(f"The chain refused to open the federation: {exc}") from exc
    except LedgerError as exc:
        raise ChainUnavailable(f"Could not open the federation on chain: {exc}") from exc
    federation = Federation(
        dataset_id=dataset.id,
        config=config.to_json(),
        config_hash=config.sha256,
        chain_id=link.ledger.chain_id,
        log_address=federations.address,
        chain_federation_id=chain_id,
        operator_address=operator,
        open_tx_hash=result.tx_hash,
        open_block=result.block_number,
        created_by_user_id=user.id,
    )
    db.add(federation)
    db.flush()
    audit_log.record(
        db,
        "federation.start",
        f"dataset:{dataset.id}",
        actor_user_id=user.id,
        details={
            "federation": federation.id,
            "chain_federation_id": chain_id,
            "config_sha256": config.sha256,
        },
    )
    db.commit()
    return federation
