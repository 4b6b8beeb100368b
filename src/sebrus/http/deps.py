"""Request dependencies both faces share: the platform's state, the database session, who is asking,
and the chain's services when one is attached.

Authentication is a ``session`` cookie or ``Authorization: Bearer <token>``.
Cookie-authenticated requests that change state must also send the session's
CSRF token in ``X-CSRF-Token`` (a cross-site form can carry the cookie but
cannot read the token); bearer requests are exempt, since no browser attaches
that header on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from sebrus.chain.federation import FederationLedger
from sebrus.chain.ledger import Ledger
from sebrus.chain.revocations import RevocationLedger
from sebrus.db.models import AuthSession, Dataset, User
from sebrus.runtime import ChainServices, PlatformState
from sebrus.services.accounts.sessions import csrf_matches, resolve_token
from sebrus.services.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from sebrus.services.review.chain import ReviewChain
from sebrus.services.review.chain_link import ChainLink
from sebrus.services.scans.jobs import ScanJobs

SESSION_COOKIE = "session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# The dependencies below that neither block nor wait are ``async def`` on purpose: FastAPI runs a plain
# ``def`` dependency in the thread pool, and each such hop costs about 0.2 ms of CPU, more than the
# rest of a cached read. Only the handler (and dependencies that query) should pay for a thread.


async def get_state(request: Request) -> PlatformState:
    state: PlatformState = request.app.state.platform
    return state


State = Annotated[PlatformState, Depends(get_state)]


async def get_db(state: State) -> AsyncIterator[Session]:
    """A session per request. Opening one touches no connection (the first query checks one out, in
    the handler's thread), and closing it only hands a connection back to the pool, so neither end
    needs a thread of its own."""
    session = state.session_factory()
    try:
        yield session
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Auth:
    user: User
    session: AuthSession
    via: Literal["cookie", "bearer"]


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message, headers={"WWW-Authenticate": "Bearer"})


# The two credentials as OpenAPI security schemes, so Swagger UI's Authorize button can send them.
# Neither refuses a request itself (auto_error=False): ``authenticate`` decides, with its own messages.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <token>` with a token from `POST /api/auth/tokens`.",
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session_cookie",
    description="The `session` cookie from `POST /api/session`; POST/PUT/DELETE also send `X-CSRF-Token`.",
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
SessionCookie = Annotated[str | None, Depends(cookie_scheme)]


def authenticate(
    request: Request, db: Session, bearer: HTTPAuthorizationCredentials | None, cookie: str | None
) -> Auth | None:
    """Who is asking: a bearer token (refused with 401 when malformed or unknown), else the session cookie
    (a stale one is anonymous; a state-changing request must carry its CSRF token, else 403)."""
    if request.headers.get("authorization") is not None:
        token = bearer.credentials.strip() if bearer is not None else ""
        if not token:  # another scheme, or no token after `Bearer`
            raise _unauthorized("The Authorization header must be `Bearer <token>`.")
        session = resolve_token(db, token)
        if session is None:
            raise _unauthorized("The bearer token is invalid or expired.")
        return Auth(user=session.user, session=session, via="bearer")
    if not cookie:
        return None
    session = resolve_token(db, cookie)
    if session is None:
        return None  # a stale cookie is just an anonymous visitor
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise HTTPException(
            status_code=403,
            detail=f"Missing or wrong {CSRF_HEADER} header: send the csrf_token from your session.",
        )
    return Auth(user=session.user, session=session, via="cookie")


async def get_optional_auth(
    request: Request, db: DbSession, bearer: BearerCredentials, cookie: SessionCookie
) -> Auth | None:
    """None at once for an anonymous request (no thread-pool hop); a credential is looked up in the
    pool, since that reads the database."""
    if cookie is None and request.headers.get("authorization") is None:
        return None
    return await run_in_threadpool(authenticate, request, db, bearer, cookie)


OptionalAuth = Annotated[Auth | None, Depends(get_optional_auth)]


def get_auth(auth: OptionalAuth) -> Auth:
    if auth is None:
        raise _unauthorized("Not logged in: send the `session` cookie or a bearer token.")
    return auth


CurrentAuth = Annotated[Auth, Depends(get_auth)]


def get_uploader(request: Request, db: DbSession, bearer: BearerCredentials, cookie: SessionCookie) -> User:
    """The signed-in user, as ``CurrentUser`` finds them, with the connection handed back at once.

    For handlers whose body streams in slowly (uploads): dependencies run in the shared thread pool, and
    had this one kept its connection until the handler's first call, a burst of uploads would fill the
    pool with connections whose requests wait for a thread, while every thread waits for a connection.
    """
    try:
        return get_auth(authenticate(request, db, bearer, cookie)).user
    finally:
        db.close()


Uploader = Annotated[User, Depends(get_uploader)]


def get_current_user(auth: CurrentAuth) -> User:
    return auth.user


T = TypeVar("T")


def release_after(db: Session, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``work`` and hand the session's connection back to the pool, whatever happens.

    For handlers that then wait on something slow (a streamed upload, the chain): holding a pooled
    connection across that wait starves every other request. ``close`` rather than ``rollback``:
    the objects read stay loaded (detached), so the handler can still read them without a query.
    """
    try:
        return work(*args, **kwargs)
    finally:
        db.close()


async def get_optional_user(auth: OptionalAuth) -> User | None:
    return auth.user if auth is not None else None


CurrentUser = Annotated[User, Depends(get_current_user)]
OptionalUser = Annotated[User | None, Depends(get_optional_user)]


async def get_page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size.")] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Pagination = Annotated[PageRequest, Depends(get_page)]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


def dataset_or_404(db: Session, dataset_id: int) -> Dataset:
    """The dataset with this id, or 404 naming the id."""
    dataset = db.get(Dataset, dataset_id)
    if dataset is None:
        raise HTTPException(404, f"Dataset {dataset_id} not found.")
    return dataset


# ------------------------------------------------------------------------------------------------ the chain
# ``app.state.chain`` is set by ``sebrus.platform.build_platform``; an API-only app (``create_app``) has none.
# A route that needs it answers 503 saying what is unavailable without it.


def chain_services(request: Request) -> ChainServices | None:
    """The platform's chain services, or None for an app without a chain."""
    services: ChainServices | None = getattr(request.app.state, "chain", None)
    return services


async def get_optional_chain(request: Request) -> ChainServices | None:
    return chain_services(request)


OptionalChainDep = Annotated[ChainServices | None, Depends(get_optional_chain)]


def no_chain(unavailable: str) -> HTTPException:
    return HTTPException(503, f"This server has no chain attached; {unavailable}.")


def require_chain(unavailable: str) -> Callable[[ChainServices | None], Awaitable[ChainServices]]:
    """A dependency that answers the chain's services, or 503 ``... ; <unavailable>.`` without them."""

    async def dependency(services: OptionalChainDep) -> ChainServices:
        if services is None:
            raise no_chain(unavailable)
        return services

    return dependency


ContributionChainDep = Annotated[ChainServices, Depends(require_chain("contributions are unavailable"))]
AuditChainDep = Annotated[ChainServices, Depends(require_chain("there is nothing to audit against"))]
ReleaseChainDep = Annotated[ChainServices, Depends(require_chain("releases cannot be published"))]


def review_chain_of(services: ChainServices) -> ReviewChain:
    return ReviewChain(link=services.link, sync=services.indexer.sync)


async def get_review_chain(services: OptionalChainDep) -> ReviewChain:
    if services is None:
        raise no_chain("review is unavailable")
    return review_chain_of(services)


ReviewChainDep = Annotated[ReviewChain, Depends(get_review_chain)]


async def get_optional_scan_jobs(services: OptionalChainDep) -> ScanJobs | None:
    return services.scans if services is not None else None


OptionalScanJobsDep = Annotated[ScanJobs | None, Depends(get_optional_scan_jobs)]


async def get_scan_jobs(jobs: OptionalScanJobsDep) -> ScanJobs:
    if jobs is None:
        raise no_chain("scans are unavailable")
    return jobs


ScanJobsDep = Annotated[ScanJobs, Depends(get_scan_jobs)]


@dataclass(frozen=True)
class Revocations:
    """What a revocation change needs: the custodial link and the revocation registry."""

    link: ChainLink
    registry: RevocationLedger


async def get_revocations(services: OptionalChainDep) -> Revocations:
    registry = services.revocations if services is not None else None
    if services is None or registry is None:
        raise no_chain("revocations are unavailable")
    return Revocations(link=services.link, registry=registry)


RevocationsDep = Annotated[Revocations, Depends(get_revocations)]


@dataclass(frozen=True)
class Federations:
    """What federated training's routes need: the custodial link (owner, operator) and the FederationLog."""

    link: ChainLink
    log: FederationLedger


async def get_federations(services: OptionalChainDep) -> Federations:
    log = services.federations if services is not None else None
    if services is None or log is None:
        raise no_chain("federated training is unavailable")
    return Federations(link=services.link, log=log)


FederationsDep = Annotated[Federations, Depends(get_federations)]


async def get_optional_ledger(services: OptionalChainDep) -> Ledger | None:
    return services.handle.ledger if services is not None else None


OptionalLedgerDep = Annotated[Ledger | None, Depends(get_optional_ledger)]
