"""Dataset registration and upkeep.

Registration goes through a ``DatasetAnchor``: the seam where the ledger plugs
in. The default, ``ClientDeployedAnchor``, keeps the prototype's behaviour (the
client deployed the contract and reports its address, nothing is checked on
chain); the ledger's anchor can deploy or verify the contract and fill in the
chain id, index and creation block before the row is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sebrus.db.models import DEFAULT_MAX_BYTES, Dataset, Federation, Item, OutboxEntry, User
from sebrus.primitives import DATASET_MAX_LABEL_BYTES, DATASET_MAX_LABELS
from sebrus.services import audit_log
from sebrus.services.accounts import roles
from sebrus.services.addresses import normalize_address
from sebrus.services.dataset_terms import clean_cite_as, clean_license
from sebrus.services.errors import Conflict, InvalidInput, NotFound
from sebrus.services.pagination import Page, PageRequest
from sebrus.services.rate_window import SlidingWindowLimiter

MAX_NAME = 128
MAX_DESCRIPTION = 10_000
MAX_BYTES_CEILING = 100 * 1024 * 1024
#: The largest width and height a new dataset accepts unless its owner says otherwise: 4096 covers 4K
#: photographs and every common training resolution (224 to 1024 px), while one decode stays at most
#: 16.8 megapixels (about 50 MB of RGB) instead of the 40 MP ceiling a bare upload could otherwise use.
DEFAULT_MAX_SIDE = 4096


@dataclass
class DatasetSpec:
    """What a registration asks for; ``address`` may be None when the anchor deploys the contract."""

    name: str
    description: str = ""
    address: str | None = None
    labels: list[str] = field(default_factory=list)
    max_bytes: int = DEFAULT_MAX_BYTES
    min_width: int | None = None
    max_width: int | None = DEFAULT_MAX_SIDE
    min_height: int | None = None
    max_height: int | None = DEFAULT_MAX_SIDE
    payload_on_chain: bool = False
    review_policy: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A bound left out (None from a form or a JSON body) gets the default, so no new dataset
        # decodes unbounded images, and seed images are checked against the same bounds.
        self.max_width = DEFAULT_MAX_SIDE if self.max_width is None else self.max_width
        self.max_height = DEFAULT_MAX_SIDE if self.max_height is None else self.max_height


@dataclass(frozen=True)
class AnchoredDataset:
    address: str
    chain_id: int | None = None
    chain_index: int | None = None
    created_block: int | None = None


class DatasetAnchor(Protocol):
    def anchor(self, spec: DatasetSpec, owner: User) -> AnchoredDataset:
        """Deploy or confirm the dataset's contract; raise a ServiceError to refuse."""
        ...


class ClientDeployedAnchor:
    """The prototype's way: trust the address the client reports, record no chain facts."""

    def anchor(self, spec: DatasetSpec, owner: User) -> AnchoredDataset:
        if spec.address is None:
            raise InvalidInput("`address` is required.", field="address")
        return AnchoredDataset(address=spec.address)


def validate_spec(spec: DatasetSpec) -> DatasetSpec:
    name = spec.name.strip() if isinstance(spec.name, str) else ""
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(f"`datasetName` must be 1 to {MAX_NAME} characters.", field="datasetName")
    if len(spec.description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"`description` must be at most {MAX_DESCRIPTION} characters.", field="description"
        )
    address = normalize_address(spec.address) if spec.address is not None else None
    if len(spec.labels) > DATASET_MAX_LABELS:
        raise InvalidInput(f"`labels` may hold at most {DATASET_MAX_LABELS} labels.", field="labels")
    for label in spec.labels:
        if not 1 <= len(label.encode()) <= DATASET_MAX_LABEL_BYTES or label != label.strip():
            raise InvalidInput(
                f"each label must be 1 to {DATASET_MAX_LABEL_BYTES} bytes (UTF-8) without surrounding "
                f"spaces: {label!r:.40}",
                field="labels",
            )
    if len(set(spec.labels)) != len(spec.labels):
        raise InvalidInput("`labels` must not repeat a label.", field="labels")
    if not 1 <= spec.max_bytes <= MAX_BYTES_CEILING:
        raise InvalidInput(f"`max_bytes` must be between 1 and {MAX_BYTES_CEILING}.", field="max_bytes")
    for low, high, axis in (
        (spec.min_width, spec.max_width, "width"),
        (spec.min_height, spec.max_height, "height"),
    ):
        for bound in (low, high):
            if bound is not None and bound < 1:
                raise InvalidInput(f"{axis} bounds must be positive.", field=f"min_{axis}")
        if low is not None and high is not None and low > high:
            raise InvalidInput(f"`min_{axis}` must not exceed `max_{axis}`.", field=f"min_{axis}")
    spec.name = name
    spec.address = address
    return spec


def creation_limiter(per_hour: int) -> SlidingWindowLimiter:
    """Datasets one user may create per hour: each one deploys contracts, seconds of chain time."""
    return SlidingWindowLimiter(
        per_hour,
        3600,
        f"Too many new datasets: at most {per_hour} an hour per user, since each one deploys contracts.",
    )


def register_dataset(
    db: Session,
    owner: User,
    spec: DatasetSpec,
    anchor: DatasetAnchor,
    limiter: SlidingWindowLimiter | None = None,
) -> Dataset:
    """Validate, refuse duplicates, anchor, then record the dataset with its owner role in one transaction.

    ``limiter`` counts the attempts that reach the chain (a valid, new dataset), refused or not,
    because each costs chain time; a request refused for its own content does not count.
    """
    spec = validate_spec(spec)
    if db.scalar(select(Dataset.id).where(Dataset.name == spec.name)) is not None:
        raise Conflict("Dataset already exists.")
    if spec.address is not None and _address_taken(db, spec.address):
        raise Conflict("Dataset already exists.")
    if limiter is not None:
        limiter.check(owner.id)
    anchored = anchor.anchor(spec, owner)
    address = normalize_address(anchored.address)
    if address != spec.address and _address_taken(db, address):
        raise Conflict("Dataset already exists.")
    dataset = Dataset(
        chain_id=anchored.chain_id,
        address=address,
        chain_index=anchored.chain_index,
        created_block=anchored.created_block,
        name=spec.name,
        description=spec.description,
        owner_id=owner.id,
        labels=list(spec.labels),
        max_bytes=spec.max_bytes,
        min_width=spec.min_width,
        max_width=spec.max_width,
        min_height=spec.min_height,
        max_height=spec.max_height,
        payload_on_chain=spec.payload_on_chain,
        review_policy=dict(spec.review_policy),
    )
    db.add(dataset)
    db.flush()
    roles.add_owner_role(db, dataset, owner)
    audit_log.record(
        db, "dataset.create", f"dataset:{dataset.id}", actor_user_id=owner.id, details={"address": address}
    )
    db.commit()
    return dataset


def _address_taken(db: Session, address: str) -> bool:
    return db.scalar(select(Dataset.id).where(Dataset.address == address)) is not None


def get_dataset(db: Session, dataset_id: int) -> Dataset:
    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound("Dataset not found.")
    return dataset


def list_datasets(db: Session, page: PageRequest, owner_id: int | None = None) -> Page[Dataset]:
    stmt = select(Dataset)
    count = select(func.count()).select_from(Dataset)
    if owner_id is not None:
        stmt = stmt.where(Dataset.owner_id == owner_id)
        count = count.where(Dataset.owner_id == owner_id)
    rows = db.scalars(stmt.order_by(Dataset.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=db.scalar(count) or 0, limit=page.limit, offset=page.offset)


def update_dataset(
    db: Session,
    actor: User,
    dataset: Dataset,
    *,
    name: str | None = None,
    description: str | None = None,
    address: str | None = None,
    license: str | None = None,
    cite_as: str | None = None,
) -> Dataset:
    """Rename, re-describe, or state the terms of reuse (an empty licence or citation clears it). The
    address is the dataset's identity on chain, so it cannot change. Every value is checked before any
    is applied, so a refused edit changes nothing."""
    roles.require_owner(db, dataset, actor)
    if address is not None and normalize_address(address) != dataset.address:
        raise InvalidInput("The dataset's `address` is fixed once registered.", field="address")
    new_license = clean_license(license) if license is not None else dataset.license
    new_cite_as = clean_cite_as(cite_as) if cite_as is not None else dataset.cite_as
    if description is not None and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"`description` must be at most {MAX_DESCRIPTION} characters.", field="description"
        )
    if name is not None:
        name = name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise InvalidInput(f"`datasetName` must be 1 to {MAX_NAME} characters.", field="datasetName")
        clash = db.scalar(select(Dataset.id).where(Dataset.name == name, Dataset.id != dataset.id))
        if clash is not None:
            raise Conflict("Dataset already exists.")
        dataset.name = name
    if description is not None:
        dataset.description = description
    dataset.license, dataset.cite_as = new_license, new_cite_as
    audit_log.record(db, "dataset.update", f"dataset:{dataset.id}", actor_user_id=actor.id)
    db.commit()
    return dataset


def delete_dataset(db: Session, actor: User, dataset: Dataset) -> None:
    """Drop a dataset from the index, only while nobody has contributed to it.

    Items mirror the chain and an outbox row is an acknowledged upload the relayer still owes the
    chain (or one it gave up on, which the contributor was told about): deleting either would lose
    a promise, and the indexer would later meet an item for a dataset that no longer exists. The row
    is locked before the check and the delete happens in the same transaction, so an upload racing
    the delete either commits first (and the delete is refused) or waits for the delete and fails
    cleanly because the dataset is gone (its outbox row references the dataset row).
    """
    roles.require_owner(db, dataset, actor, "delete")
    if not lock_dataset_row(db, dataset.id):
        db.rollback()
        raise NotFound("Dataset not found.")
    if db.scalar(select(Item.id).where(Item.dataset_id == dataset.id).limit(1)) is not None:
        db.rollback()
        raise Conflict("Dataset has contributed items and cannot be deleted.")
    if db.scalar(select(OutboxEntry.id).where(OutboxEntry.dataset_id == dataset.id).limit(1)) is not None:
        db.rollback()
        raise Conflict(
            "Dataset has acknowledged uploads that are being anchored on chain, so it cannot be deleted."
        )
    if db.scalar(select(Federation.id).where(Federation.dataset_id == dataset.id).limit(1)) is not None:
        db.rollback()  # its rounds are anchored: the index of them is kept like the items'
        raise Conflict("Dataset has federated training anchored on chain and cannot be deleted.")
    audit_log.record(
        db,
        "dataset.delete",
        f"dataset:{dataset.id}",
        actor_user_id=actor.id,
        details={"address": dataset.address},
    )
    db.delete(dataset)
    db.commit()


def lock_dataset_row(db: Session, dataset_id: int) -> bool:
    """Hold the dataset's row against concurrent uploads until this transaction ends; False if gone.

    PostgreSQL: ``SELECT ... FOR UPDATE`` conflicts with the key-share lock an outbox insert takes on
    the row it references. SQLite has no row locks and its driver runs SELECTs outside a transaction,
    so a write comes first: it takes SQLite's single writer lock, which an upload's insert waits for.
    """
    if db.get_bind().dialect.name == "sqlite":
        touched = db.execute(update(Dataset).where(Dataset.id == dataset_id).values(id=Dataset.id))
        return bool(getattr(touched, "rowcount", 0))
    return db.scalar(select(Dataset.id).where(Dataset.id == dataset_id).with_for_update()) is not None
