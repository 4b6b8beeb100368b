"""``sebrus.Client``: the REST API as Python methods, used by the CLI and by scripts.

It authenticates with a bearer API token only (never the browser cookie), so no CSRF token is
needed, and one client may be shared by threads that upload in parallel.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from sebrus.sdk.errors import (
    AmbiguousItem,
    MalformedItemRef,
    SebrusConnectionError,
    SebrusError,
    UnknownItem,
    error_for,
)
from sebrus.sdk.federations import FederationMethods
from sebrus.sdk.incidents import IncidentMethods
from sebrus.sdk.models import BulkUploadResult, Dataset, Item, UploadResult, User
from sebrus.sdk.releases import ReleaseMethods
from sebrus.sdk.review import ReviewMethods
from sebrus.sdk.scans import ScanMethods

DEFAULT_URL = "http://127.0.0.1:8000"
PAGE_SIZE = 100  # the API's largest page
AMBIGUOUS_SHOWN = 5  # candidates an ambiguous item prefix names

# The server waits up to SEBRUS_UPLOAD_WAIT_SECONDS (30 s by default) for an upload to be anchored.
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def _media_type(data: bytes) -> str:
    """A Content-Type for the body; the server decodes the bytes itself, so this is only a courtesy."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def default_token_name(tool: str = "sebrus SDK") -> str:
    return f"{tool} on {socket.gethostname()}"[:64]


class Client(ReleaseMethods, ScanMethods, ReviewMethods, IncidentMethods, FederationMethods):
    """A client of one SeBRUS server.

    ``token`` is an API token (``sebrus user login`` prints one); without it only public reads work.
    Every method raises a :class:`~sebrus.sdk.errors.SebrusError` subclass carrying the server's message.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"The server URL must start with http:// or https://, got {url!r}.")
        self.url = url
        self.token = token
        self.page_size = PAGE_SIZE
        self._http = httpx.Client(base_url=url, timeout=timeout, transport=transport, follow_redirects=False)

    # -- plumbing ------------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        bearer = token if token is not None else self.token
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(
                method, path, json=json, params=clean, content=content, files=files, headers=sent
            )
        except httpx.TimeoutException as exc:
            raise SebrusConnectionError(self.url, f"timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise SebrusConnectionError(self.url, str(exc) or type(exc).__name__) from exc
        if response.status_code >= 400:
            raise error_for(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._request(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise SebrusError(response.status_code, f"The server answered {path} with non-JSON.") from None
        if not isinstance(body, dict):
            raise SebrusError(response.status_code, f"The server answered {path} with unexpected JSON.")
        return body

    # -- accounts ------------------------------------------------------------------------------------

    def register(self, username: str, password: str) -> User:
        body = self._json("POST", "/api/user", json={"username": username, "password": password})
        return User.from_json(body["user"])

    def login(self, username: str, password: str, token_name: str | None = None) -> str:
        """Mint a long-lived API token, keep it on this client, and return it.

        The password buys a short browser session only long enough to mint the token, and that session
        is ended straight away, so nothing but the named, revocable API token outlives the call.
        """
        body = self._json("POST", "/api/session", json={"username": username, "password": password})
        session_token = str(body["session"]["token"])
        self._http.cookies.clear()  # the bearer token is our credential, never the cookie
        try:
            minted = self._json(
                "POST",
                "/api/auth/tokens",
                json={"name": token_name or default_token_name()},
                token=session_token,
            )
        finally:
            # The session expires on its own; failing to end it early must not hide the result.
            with contextlib.suppress(SebrusError):
                self._request("DELETE", "/api/session/me", token=session_token)
            self._http.cookies.clear()
        self.token = str(minted["token"]["token"])
        return self.token

    def logout(self) -> None:
        """Revoke this client's token on the server and forget it."""
        self._request("DELETE", "/api/session/me")
        self.token = None

    def me(self) -> User:
        return User.from_json(self._json("GET", "/api/session/me")["user"])

    # -- datasets ------------------------------------------------------------------------------------

    def create_dataset(
        self,
        name: str,
        description: str = "",
        labels: list[str] | tuple[str, ...] = (),
        *,
        max_bytes: int | None = None,
        min_width: int | None = None,
        max_width: int | None = None,
        min_height: int | None = None,
        max_height: int | None = None,
        payload_on_chain: bool | None = None,
        review_policy: dict[str, Any] | None = None,
    ) -> Dataset:
        """Create a dataset on chain, owned by the logged-in user; unset limits take the server's defaults."""
        payload: dict[str, Any] = {"datasetName": name, "description": description, "labels": list(labels)}
        limits = {
            "max_bytes": max_bytes,
            "min_width": min_width,
            "max_width": max_width,
            "min_height": min_height,
            "max_height": max_height,
            "payload_on_chain": payload_on_chain,
            "review_policy": review_policy,
        }
        payload.update({k: v for k, v in limits.items() if v is not None})
        return Dataset.from_json(self._json("POST", "/api/dataset", json=payload)["new_dataset"])

    def update_dataset(
        self,
        dataset_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        license: str | None = None,
        cite_as: str | None = None,
    ) -> Dataset:
        """Change what is given (owner only); ``""`` clears the licence or the citation."""
        changes = {"datasetName": name, "description": description, "license": license, "cite_as": cite_as}
        payload = {k: v for k, v in changes.items() if v is not None}
        return Dataset.from_json(self._json("PUT", f"/api/dataset/{dataset_id}", json=payload)["dataset"])

    def datasets(self, owner_id: int | None = None) -> list[Dataset]:
        """Every dataset (all pages), oldest first."""
        found: list[Dataset] = []
        while True:
            body = self._json(
                "GET",
                "/api/dataset",
                params={"limit": self.page_size, "offset": len(found), "owner_id": owner_id},
            )
            page = [Dataset.from_json(d) for d in body["datasets"]]
            found.extend(page)
            if not page or len(found) >= int(body["total"]):
                return found

    def dataset(self, dataset_id: int) -> Dataset:
        return Dataset.from_json(self._json("GET", f"/api/dataset/{int(dataset_id)}")["dataset"])

    # -- items ---------------------------------------------------------------------------------------

    def upload(
        self, dataset_id: int, path_or_bytes: str | Path | bytes, label: str, wait: bool = True
    ) -> UploadResult:
        """Contribute one image. Safe to retry: the same bytes again answer ``already there``.

        With ``wait`` the server answers once the item is anchored and indexed (or ``queued`` if that takes
        longer than its wait); without it the server answers as soon as the upload is acknowledged.
        """
        data = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
        response = self._request(
            "POST",
            f"/api/dataset/{int(dataset_id)}/items",
            params={"label": label, "wait": "true" if wait else "false"},
            content=data,
            headers={"Content-Type": _media_type(data)},
        )
        return UploadResult.from_response(response.status_code, response.json())

    def upload_bulk(self, dataset_id: int, files: Sequence[tuple[str, str, bytes]]) -> BulkUploadResult:
        """Contribute many images in one request: ``files`` are (label, name, bytes). Each file is
        accepted or refused on its own; the accepted ones are acknowledged together and anchored in
        the next batches (``queued``), so nothing accepted is lost. Safe to retry."""
        body = self._json(
            "POST",
            f"/api/dataset/{int(dataset_id)}/uploads",
            files=[(label, (name, data, _media_type(data))) for label, name, data in files],
        )
        return BulkUploadResult.from_json(body)

    def items(
        self,
        dataset_id: int,
        status: str | None = None,
        contributor: str | None = None,
        label: str | None = None,
    ) -> Iterator[Item]:
        """A dataset's items in upload order, fetched a page at a time as the iteration goes."""
        offset = 0
        while True:
            body = self._json(
                "GET",
                f"/api/dataset/{int(dataset_id)}/items",
                params={
                    "status": status,
                    "contributor": contributor,
                    "label": label,
                    "limit": self.page_size,
                    "offset": offset,
                },
            )
            page = body["items"]
            yield from (Item.from_json(i) for i in page)
            offset += len(page)
            if not page or offset >= int(body["total"]):
                return

    def resolve_item(self, dataset_id: int, typed: str) -> str:
        """The full sha256 of the one item of the dataset whose hash starts with ``typed``.

        Tables show the first characters of a hash while commands need all 64, so anything that names
        an item takes any unique prefix. A full hash comes back as it is (lower case, no request: the
        command's own request then says if it is missing); a prefix is resolved by the server
        (``GET /api/dataset/{id}/items?sha_prefix=``). Raises :class:`MalformedItemRef`,
        :class:`UnknownItem` or :class:`AmbiguousItem` (naming some candidates).
        """
        prefix = typed.strip().lower().removeprefix("0x")
        if not 0 < len(prefix) <= 64 or any(c not in "0123456789abcdef" for c in prefix):
            raise MalformedItemRef(typed)
        if len(prefix) == 64:
            return prefix
        body = self._json(
            "GET",
            f"/api/dataset/{int(dataset_id)}/items",
            params={"sha_prefix": prefix, "limit": AMBIGUOUS_SHOWN},
        )
        found = [str(i["content_hash"]) for i in body["items"]]
        total = int(body["total"])
        if total == 0:
            raise UnknownItem(int(dataset_id), prefix)
        if total > 1:
            raise AmbiguousItem(int(dataset_id), prefix, found, total)
        return found[0]

    def item(self, dataset_id: int, sha256: str) -> Item:
        return Item.from_json(
            self._json("GET", f"/api/dataset/{int(dataset_id)}/items/{_hash(sha256)}")["item"]
        )

    def image(self, dataset_id: int, sha256: str) -> bytes:
        return self._request("GET", f"/api/dataset/{int(dataset_id)}/items/{_hash(sha256)}/image").content

    def _bytes(self, path: str) -> bytes:
        return self._request("GET", path).content

    # -- audit ---------------------------------------------------------------------------------------

    def audit(self, dataset_id: int) -> dict[str, Any]:
        """The server's comparison of its database, the chain and its blobs for one dataset.

        The report is returned as the API's JSON (``ok``, ``counts``, ``findings``, ``outbox``): its
        findings are open-ended records, so a typed model would only narrow them.
        """
        return self._json("GET", f"/api/dataset/{int(dataset_id)}/audit")


def _hash(sha256: str) -> str:
    """Lower-case it, and refuse anything that would change the URL's path (the server checks the rest)."""
    value = sha256.strip().lower()
    if not value or not value.isalnum():
        raise ValueError(f"An item is named by the sha256 hex of its bytes, got {sha256!r}.")
    return value
