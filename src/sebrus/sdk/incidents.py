"""Incident-response methods of :class:`sebrus.Client`: metrics, revocations, item trace, audit-log export.

A mixin, like scans and releases; it relies only on the client's ``_json`` and ``_request`` methods.
Answers are plain JSON dicts: they are documents for people and scripts, not objects to compute with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

AUDIT_FORMATS = ("jsonl", "csv")


class IncidentMethods:
    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError  # provided by Client

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        raise NotImplementedError  # provided by Client

    def metrics(self, dataset_id: int) -> dict[str, Any]:
        """Every release's held-out accuracy, and the current alert (or None)."""
        return self._json("GET", f"/api/dataset/{int(dataset_id)}/metrics")

    def revoke(self, dataset_id: int, contributor: str, reason: str) -> dict[str, Any]:
        body = self._json(
            "POST",
            f"/api/dataset/{int(dataset_id)}/revocations",
            json={"contributor": contributor, "reason": reason},
        )
        return {"status": body["status"], **body["revocation"]}

    def revocations(self, dataset_id: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._json("GET", f"/api/dataset/{int(dataset_id)}/revocations")[
            "revocations"
        ]
        return found

    def clear_held(
        self, dataset_id: int, contributor: str, note: str, items: Sequence[str] | None = None
    ) -> list[str]:
        """Clear held items (``items=None``: those the rescan found unremarkable); returns them."""
        body = self.clear_held_report(dataset_id, contributor, note, items)
        return [str(h) for h in body["cleared"]]

    def clear_held_report(
        self, dataset_id: int, contributor: str, note: str, items: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """Like :meth:`clear_held`, with the whole answer: ``status``, ``cleared``, ``still_held`` (why)."""
        return self._json(
            "POST",
            f"/api/dataset/{int(dataset_id)}/revocations/{contributor}/clear",
            json={"note": note, "items": list(items) if items is not None else None},
        )

    def reinstate(self, dataset_id: int, contributor: str, reason: str) -> dict[str, Any]:
        body = self._json(
            "POST",
            f"/api/dataset/{int(dataset_id)}/revocations/{contributor}/reinstate",
            json={"reason": reason},
        )
        revocation: dict[str, Any] = body["revocation"]
        return revocation

    def trace(self, dataset_id: int, sha256: str) -> dict[str, Any]:
        trace: dict[str, Any] = self._json(
            "GET", f"/api/dataset/{int(dataset_id)}/items/{sha256.strip()}/trace"
        )["trace"]
        return trace

    def audit_log(self, dataset_id: int, fmt: str = "jsonl", after: int = 0) -> bytes:
        """The dataset's audit log export (JSON Lines or CSV), entries with an id above ``after``."""
        if fmt not in AUDIT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(AUDIT_FORMATS)}, got {fmt!r}")
        response = self._request(
            "GET", f"/api/dataset/{int(dataset_id)}/audit-log", params={"format": fmt, "after": after}
        )
        return response.content
