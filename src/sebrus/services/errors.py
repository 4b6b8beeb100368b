"""Domain errors that faces translate into responses; each message names the problem for the user.

A refusal that mirrors a contract's custom error (``DepositRequired``, ``NoBallot``) carries that name as
its ``code``, for scripts to branch on, and a sentence as its ``message``, for people: a raw error name
is not something a person can act on. A message written the older way, ``"DepositRequired: sentence"``,
is split into the two when the name is one of the shipped contracts' custom errors, so every path that
raises one (services, the chain's refusals) answers the same way.
"""

from __future__ import annotations

from functools import cache


class ServiceError(Exception):
    """Base: ``message`` is safe to show to the client; ``code`` (or None) names the contract refusal."""

    def __init__(self, message: str, code: str | None = None) -> None:
        if code is None:
            code, message = split_code(message)
        super().__init__(message)
        self.message = message
        self.code = code


def split_code(message: str) -> tuple[str | None, str]:
    """``"NoBallot: you have ..."`` as ``("NoBallot", "You have ...")``; other messages as they are."""
    name, colon, rest = message.partition(": ")
    if not colon or name not in contract_error_names() or not rest:
        return None, message
    return name, rest[0].upper() + rest[1:]


@cache
def contract_error_names() -> frozenset[str]:
    """The custom error names declared by the shipped contracts (read from their ABIs once)."""
    from sebrus.chain.reverts import custom_errors  # deferred: the ABIs are read on first use only

    return frozenset(name for name, _ in custom_errors().values())


class InvalidInput(ServiceError):
    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, code)
        self.field = field


class NotAuthenticated(ServiceError):
    pass


class PermissionDenied(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class TooEarly(Conflict):
    """Not yet: possible from ``not_before`` (seconds since the epoch, chain time); a 409 that says
    when, in its message, a ``not_before`` field and a ``Retry-After`` header."""

    def __init__(self, message: str, not_before: int, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.not_before = not_before
        self.retry_after_seconds = max(1, retry_after_seconds)


class RateLimited(ServiceError):
    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationError(ServiceError):
    """The platform is configured in a way it refuses to run with."""
