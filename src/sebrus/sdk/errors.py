"""One exception family for everything the API can refuse, keyed by HTTP status.

Each error carries the server's own ``status`` message (it names the problem), so callers can show it
as-is; the class lets them branch on the kind of refusal without parsing text.
"""

from __future__ import annotations

import httpx


class SebrusError(Exception):
    """The server refused a request, or could not be reached (``status_code`` is then None)."""

    def __init__(self, status_code: int | None, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message

    def __str__(self) -> str:
        return self.message if self.status_code is None else f"{self.message} (HTTP {self.status_code})"


class SebrusConnectionError(SebrusError):
    """No answer at all: wrong URL, server down, or a timeout."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(None, f"Cannot reach the SeBRUS server at {url}: {reason}")
        self.url = url


class InvalidRequest(SebrusError):
    """400 or 422: the input itself is wrong (a bad image, an unknown label, a malformed field)."""


class Unauthorized(SebrusError):
    """401: not logged in, or the token is invalid or expired."""


class Forbidden(SebrusError):
    """403: logged in but not allowed (e.g. changing someone else's dataset)."""


class NotFound(SebrusError):
    """404."""


class Conflict(SebrusError):
    """409: it already exists (a username, someone else's image)."""


class TooLarge(SebrusError):
    """413: the upload is larger than the dataset's limit."""


class RateLimited(SebrusError):
    """429: too many uploads; ``retry_after`` says how many seconds to wait, when the server said."""

    def __init__(self, status_code: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(status_code, message)
        self.retry_after = retry_after


class MalformedItemRef(SebrusError):
    """An item was named by something that is not the start of a sha256 (decided before any request)."""

    def __init__(self, typed: str) -> None:
        super().__init__(None, f"{typed[:80]!r} is not an item's sha256 or the start of one (hex digits).")


class UnknownItem(NotFound):
    """No item of the dataset has a sha256 starting with the prefix given."""

    def __init__(self, dataset_id: int, prefix: str) -> None:
        super().__init__(None, f"No item in dataset {dataset_id} has a sha256 starting with {prefix}.")
        self.prefix = prefix


class AmbiguousItem(SebrusError):
    """More than one item's sha256 starts with the prefix: ``candidates`` lists some, ``total`` counts all."""

    def __init__(self, dataset_id: int, prefix: str, candidates: list[str], total: int) -> None:
        more = f" and {total - len(candidates)} more" if total > len(candidates) else ""
        super().__init__(
            None,
            f"{total} items in dataset {dataset_id} have a sha256 starting with {prefix}: "
            f"{', '.join(candidates)}{more}. Type more of the hash.",
        )
        self.prefix = prefix
        self.candidates = candidates
        self.total = total


class ServerError(SebrusError):
    """5xx: the server failed or is unavailable; the request may be worth retrying."""


_BY_STATUS: dict[int, type[SebrusError]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: InvalidRequest,
}


def error_for(response: httpx.Response) -> SebrusError:
    """The exception that an error response stands for, with the server's message."""
    code = response.status_code
    message = _message_of(response)
    if code == 429:
        return RateLimited(code, message, _retry_after(response))
    if code >= 500:
        return ServerError(code, message)
    return _BY_STATUS.get(code, SebrusError)(code, message)


def _message_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        status = body.get("status")
        if isinstance(status, str) and status:
            return status
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            return detail
    text = response.text.strip()
    reason = response.reason_phrase or "error"
    return f"HTTP {response.status_code} {reason}" + (f": {text[:200]}" if text else "")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return float(value)
    except ValueError:
        return None
