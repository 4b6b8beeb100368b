"""The SeBRUS Python SDK: a typed client of the REST API.

>>> from sebrus import Client
>>> with Client("http://127.0.0.1:8000") as client:  # doctest: +SKIP
...     client.login("alice", "correct horse")
...     dataset = client.create_dataset("pets", "cats and dogs", ["cat", "dog"])
...     client.upload(dataset.id, "cat.png", "cat").outcome
'anchored'
"""

from sebrus.sdk.client import DEFAULT_URL, Client
from sebrus.sdk.errors import (
    AmbiguousItem,
    Conflict,
    Forbidden,
    InvalidRequest,
    MalformedItemRef,
    NotFound,
    RateLimited,
    SebrusConnectionError,
    SebrusError,
    ServerError,
    TooLarge,
    Unauthorized,
    UnknownItem,
)
from sebrus.sdk.models import BulkUploadResult, Dataset, Item, UploadResult, User
from sebrus.sdk.release_data import LoadedRelease, UnverifiedRelease, load_release
from sebrus.sdk.releases import Release
from sebrus.sdk.scans import FlaggedItem, ReportMismatch, Scan, ScanModel, SeedAdded, SeedImage

__all__ = [
    "DEFAULT_URL",
    "AmbiguousItem",
    "BulkUploadResult",
    "Client",
    "Conflict",
    "Dataset",
    "FlaggedItem",
    "Forbidden",
    "InvalidRequest",
    "Item",
    "LoadedRelease",
    "MalformedItemRef",
    "NotFound",
    "RateLimited",
    "Release",
    "ReportMismatch",
    "Scan",
    "ScanModel",
    "SebrusConnectionError",
    "SebrusError",
    "SeedAdded",
    "SeedImage",
    "ServerError",
    "TooLarge",
    "Unauthorized",
    "UnknownItem",
    "UnverifiedRelease",
    "UploadResult",
    "User",
    "load_release",
]
