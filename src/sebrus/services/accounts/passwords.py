"""argon2id password hashing with parameters from settings (cheap in tests, strong by default)."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sebrus.config import Settings


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    needs_rehash: bool = False


class Passwords:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        # Hash of a throwaway value, verified against when the username is unknown so that
        # "no such user" takes as long as "wrong password" and does not reveal which names exist.
        self._decoy = hasher.hash("decoy password that matches nothing")

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        return cls(
            PasswordHasher(
                time_cost=settings.password_time_cost,
                memory_cost=settings.password_memory_cost_kib,
                parallelism=settings.password_parallelism,
            )
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def check(self, stored_hash: str, password: str) -> PasswordCheck:
        try:
            self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return PasswordCheck(ok=False)
        return PasswordCheck(ok=True, needs_rehash=self._hasher.check_needs_rehash(stored_hash))

    def burn_time(self, password: str) -> None:
        self.check(self._decoy, password)
