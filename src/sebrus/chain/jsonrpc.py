"""JSON-RPC 2.0 envelopes: parse a request body, run each call through a table of methods, answer.

Kept apart from the Ethereum methods (:mod:`sebrus.chain.rpc_server`) so that the protocol's rules
are in one place and tested on their own: single and batch requests, notifications (no ``id``, no
answer), and the specification's error codes, each with a message saying what was wrong. A batch is
bounded (``max_batch``) before anything in it runs, so one request cannot queue unbounded work.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

log = logging.getLogger(__name__)

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
METHOD_NOT_FOUND: Final = -32601
INVALID_PARAMS: Final = -32602
INTERNAL_ERROR: Final = -32603
SERVER_ERROR: Final = -32000  # geth's code for a request the chain refused (nonce, funds, ...)
LIMIT_EXCEEDED: Final = -32005  # EIP-1474: a request over a limit (rate, batch size, block range)
EXECUTION_REVERTED: Final = 3  # geth and anvil: eth_call / eth_estimateGas reverted; data holds the bytes

Method = Callable[[Sequence[Any]], Any]


class RpcError(Exception):
    """An error answer: ``code`` from the specification (or geth's), a message, optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


@dataclass(frozen=True)
class Call:
    """One well-formed request object; ``notification`` when it carried no ``id`` (nothing is answered)."""

    id: str | int | float | None
    method: str
    params: Sequence[Any]
    notification: bool


@dataclass(frozen=True)
class Envelope:
    """A parsed body: its calls in order, an entry that was not a valid request kept as its error."""

    batch: bool
    entries: tuple[Call | RpcError, ...]

    @property
    def calls(self) -> int:
        """How many entries will be answered or run: what a rate limit counts."""
        return len(self.entries)


def error_response(error: RpcError, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.as_json()}


def parse(body: bytes, *, max_batch: int) -> Envelope | dict[str, Any]:
    """The body as an :class:`Envelope`, or the single error response that answers it as a whole."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return error_response(RpcError(PARSE_ERROR, f"parse error: the body is not JSON ({exc})"))
    if isinstance(document, list):
        if not document:
            return error_response(RpcError(INVALID_REQUEST, "invalid request: an empty batch"))
        if len(document) > max_batch:
            return error_response(
                RpcError(
                    LIMIT_EXCEEDED,
                    f"batch too large: {len(document)} requests, at most {max_batch} in one batch",
                )
            )
        return Envelope(batch=True, entries=tuple(_request(entry) for entry in document))
    return Envelope(batch=False, entries=(_request(document),))


def _request(entry: Any) -> Call | RpcError:
    if not isinstance(entry, dict):
        return RpcError(INVALID_REQUEST, "invalid request: each request is a JSON object")
    if entry.get("jsonrpc") != "2.0":
        return RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"')
    request_id = entry.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, str | int | float | type(None)):
        return RpcError(INVALID_REQUEST, 'invalid request: "id" must be a string, a number or null')
    method = entry.get("method")
    if not isinstance(method, str) or not method:
        return RpcError(INVALID_REQUEST, 'invalid request: "method" must be a non-empty string')
    params = entry.get("params", [])
    if isinstance(params, dict):
        return RpcError(INVALID_PARAMS, f"invalid params: {method} takes its parameters as an array")
    if not isinstance(params, list):
        return RpcError(INVALID_REQUEST, 'invalid request: "params" must be an array')
    return Call(request_id, method, params, notification="id" not in entry)


def answer(
    envelope: Envelope, methods: Mapping[str, Method], missing: Callable[[str], RpcError]
) -> dict[str, Any] | list[dict[str, Any]] | None:
    """Run every call in order; the response object, the batch's list, or None when nothing is owed.

    ``missing(name)`` explains a method that is not in ``methods`` (unknown, or refused on purpose).
    """
    responses: list[dict[str, Any]] = []
    for entry in envelope.entries:
        if isinstance(entry, RpcError):
            responses.append(error_response(entry))
            continue
        response = _run(entry, methods, missing)
        if not entry.notification:
            responses.append(response)
    if envelope.batch:
        return responses or None
    return responses[0] if responses else None


def _run(call: Call, methods: Mapping[str, Method], missing: Callable[[str], RpcError]) -> dict[str, Any]:
    method = methods.get(call.method)
    try:
        if method is None:
            raise missing(call.method)
        return {"jsonrpc": "2.0", "id": call.id, "result": method(call.params)}
    except RpcError as exc:
        return error_response(exc, call.id)
    except Exception:
        log.exception("JSON-RPC %s failed", call.method)
        return error_response(
            RpcError(INTERNAL_ERROR, f"internal error while serving {call.method}"), call.id
        )


def arguments(params: Sequence[Any], required: int, optional: int = 0) -> list[Any]:
    """``params`` padded with None up to ``required + optional``; -32602 if too few or too many."""
    if len(params) < required:
        raise RpcError(INVALID_PARAMS, f"missing value for required argument {len(params)}")
    if len(params) > required + optional:
        raise RpcError(INVALID_PARAMS, f"too many arguments, want at most {required + optional}")
    return [*params, *([None] * (required + optional - len(params)))]
