from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from sebrus.db.models import Dataset, DatasetRoleName, Item, ItemStatus
from sebrus.services import datasets
from sebrus.services.accounts import roles, users
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.errors import Conflict, InvalidInput

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
DEPLOYED = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


class DeployingAnchor:
    """Stands in for the ledger: deploys (here: invents) the contract and reports chain facts."""

    def anchor(self, spec, owner):
        return datasets.AnchoredDataset(
            address=DEPLOYED.lower(), chain_id=31337, chain_index=0, created_block=7
        )


class RefusingAnchor:
    def anchor(self, spec, owner):
        raise InvalidInput("the chain said no")


def test_anchor_supplies_chain_facts(db):
    owner = users.register_user(db, CHEAP, "owner", "a long password")
    spec = datasets.DatasetSpec(name="cats", labels=["cat", "dog"])
    dataset = datasets.register_dataset(db, owner, spec, DeployingAnchor())
    assert (dataset.address, dataset.chain_id, dataset.chain_index, dataset.created_block) == (
        DEPLOYED,
        31337,
        0,
        7,
    )
    assert roles.has_role(db, dataset, owner, DatasetRoleName.OWNER)


def test_refused_anchor_stores_nothing(db):
    owner = users.register_user(db, CHEAP, "owner", "a long password")
    with pytest.raises(InvalidInput, match="the chain said no"):
        datasets.register_dataset(db, owner, datasets.DatasetSpec(name="cats"), RefusingAnchor())
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Dataset)) == 0


def test_client_deployed_anchor_needs_an_address(db):
    owner = users.register_user(db, CHEAP, "owner", "a long password")
    with pytest.raises(InvalidInput, match="`address` is required"):
        datasets.register_dataset(
            db, owner, datasets.DatasetSpec(name="cats"), datasets.ClientDeployedAnchor()
        )


def test_anchor_returning_a_taken_address_is_a_conflict(db):
    owner = users.register_user(db, CHEAP, "owner", "a long password")
    datasets.register_dataset(db, owner, datasets.DatasetSpec(name="a"), DeployingAnchor())
    with pytest.raises(Conflict):
        datasets.register_dataset(db, owner, datasets.DatasetSpec(name="b"), DeployingAnchor())


def test_dataset_with_items_cannot_be_deleted(db):
    owner = users.register_user(db, CHEAP, "owner", "a long password")
    dataset = datasets.register_dataset(
        db, owner, datasets.DatasetSpec(name="a", labels=["x"]), DeployingAnchor()
    )
    db.add(
        Item(
            dataset_id=dataset.id,
            content_hash="ab" * 32,
            label="x",
            label_index=0,
            contributor_address=DEPLOYED,
            status=ItemStatus.PENDING,
            size=10,
        )
    )
    db.commit()
    with pytest.raises(Conflict, match="items"):
        datasets.delete_dataset(db, owner, dataset)
    assert db.get(Dataset, dataset.id) is not None
