"""``POST /rpc``: the embedded chain's Ethereum JSON-RPC endpoint, for wallets and outside clients.

Mounted only when the chain is embedded (``register_routers(..., embedded_rpc=True)``): with an rpc
backend the operator's own node is the endpoint. Thin: the body is read with this route's own size
limit, the client's calls are counted against its rate, and :class:`~sebrus.chain.rpc_server.EmbeddedRpc`
does the rest in at most ``RPC_THREADS`` threads (py-evm blocks). Answers follow JSON-RPC over HTTP as
geth does: 200 with an ``error`` object for a request the protocol refuses, 413 for a body over the limit,
415 unless the body is declared JSON (a cross-site form cannot declare it), 429 with ``Retry-After``
for a client over its rate. Not in the OpenAPI document: JSON-RPC is described by its methods.
"""

from __future__ import annotations

from typing import Any, Final

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sebrus.chain.jsonrpc import INVALID_REQUEST, LIMIT_EXCEEDED, RpcError, error_response, parse
from sebrus.http.deps import OptionalChainDep, client_address
from sebrus.services.errors import RateLimited

MAX_BODY_BYTES: Final = 512 * 1024  # a contract deployment is at most 48 KiB of initcode (EIP-3860)
# Threads /rpc may occupy at once. The chain serves one call at a time anyway; without a cap, clients
# waiting on long reads could take every thread of the pool the rest of the server's handlers share.
RPC_THREADS: Final = 4

router = APIRouter(tags=["rpc"])


@router.post("/rpc", include_in_schema=False)
async def json_rpc(request: Request, services: OptionalChainDep) -> Response:
    endpoint = services.rpc if services is not None else None
    if endpoint is None:
        return _refuse(503, RpcError(INVALID_REQUEST, "this server has no embedded chain to serve"))
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        return _refuse(415, RpcError(INVALID_REQUEST, "send the request as Content-Type: application/json"))
    body = await _read_limited(request)
    if body is None:
        return _refuse(
            413, RpcError(LIMIT_EXCEEDED, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        )
    envelope = parse(body, max_batch=endpoint.server.max_batch)
    if isinstance(envelope, dict):
        return JSONResponse(envelope)
    try:
        endpoint.limiter.check(client_address(request) or "unknown", envelope.calls)
    except RateLimited as exc:
        return _refuse(
            429, RpcError(LIMIT_EXCEEDED, exc.message), {"Retry-After": str(exc.retry_after_seconds)}
        )
    answer: Any = await anyio.to_thread.run_sync(endpoint.server.serve, envelope, limiter=_threads(request))
    if answer is None:  # notifications only: nothing is owed
        return Response(status_code=204)
    return JSONResponse(answer)


async def _read_limited(request: Request) -> bytes | None:
    """The whole body, or None as soon as it is (or declares itself) larger than the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    parts: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _threads(request: Request) -> anyio.CapacityLimiter:
    """This app's cap on /rpc threads, made in its event loop on first use."""
    limiter: anyio.CapacityLimiter | None = getattr(request.app.state, "rpc_threads", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(RPC_THREADS)
        request.app.state.rpc_threads = limiter
    return limiter


def _refuse(status: int, error: RpcError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_response(error), status_code=status, headers=headers)
