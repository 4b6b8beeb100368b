"""String enums stored by value, so that rows stay readable from plain SQL."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum


class WalletKind(enum.StrEnum):
    CUSTODIAL = "custodial"
    EXTERNAL = "external"


class SessionKind(enum.StrEnum):
    COOKIE = "cookie"
    API_TOKEN = "api-token"  # noqa: S105  (a kind name, not a secret)


class DatasetRoleName(enum.StrEnum):
    OWNER = "owner"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    QUARANTINED = "quarantined"
    APPROVED = "approved"
    REJECTED = "rejected"


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    TAKEN = "taken"  # the hash was anchored first by another wallet (e.g. a front-runner): not this upload


def str_enum(enum_class: type[enum.StrEnum], name: str) -> Enum:
    """A portable VARCHAR + CHECK column rather than a native type, which is painful to migrate."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def enum_values(enum_class: type[enum.StrEnum]) -> list[Any]:
    return [m.value for m in enum_class]
