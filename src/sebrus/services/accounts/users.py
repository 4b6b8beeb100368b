"""User accounts: registration, credentials, login and removal."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sebrus.db.models import User
from sebrus.services import audit_log
from sebrus.services.accounts import login_throttle
from sebrus.services.accounts.passwords import Passwords
from sebrus.services.accounts.sessions import revoke_other_sessions
from sebrus.services.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from sebrus.services.pagination import Page, PageRequest

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,32}")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
BAD_CREDENTIALS = "Username and password not found."


def validate_username(username: object) -> str:
    if not isinstance(username, str) or USERNAME_PATTERN.fullmatch(username) is None:
        raise InvalidInput(
            "`username` must be 3 to 32 characters: letters, digits, `_`, `.` or `-`.", field="username"
        )
    return username


def validate_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"`password` must be {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field="password"
        )
    return password


def usernames(db: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names for contributors, so pages can show people rather than bare addresses."""
    ids = sorted({i for i in user_ids if i is not None})
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def find_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username_key == username.lower()))


def register_user(db: Session, passwords: Passwords, username: str, password: str) -> User:
    username = validate_username(username)
    password = validate_password(password)
    if find_by_username(db, username) is not None:
        raise Conflict("User already exists.")
    user = User(username=username, username_key=username.lower(), password_hash=passwords.hash(password))
    db.add(user)
    try:
        db.flush()
    except IntegrityError:  # the same name, registered by a concurrent request since the check above
        db.rollback()
        raise Conflict("User already exists.") from None
    audit_log.record(
        db, "user.create", f"user:{user.id}", actor_user_id=user.id, details={"username": username}
    )
    db.commit()
    return user


def authenticate(
    db: Session,
    passwords: Passwords,
    username: str,
    password: str,
    *,
    client: str | None = None,
    policy: login_throttle.ThrottlePolicy | None = None,
    now: datetime | None = None,
) -> User:
    """Check credentials, with backoff against guessing; upgrades the stored hash when parameters changed."""
    policy = policy or login_throttle.ThrottlePolicy()
    keys = login_throttle.throttle_keys(username, client)
    login_throttle.begin_attempt(db, keys, policy, now)
    user = find_by_username(db, username) if USERNAME_PATTERN.fullmatch(username) else None
    if user is None:
        passwords.burn_time(password)
    elif _password_matches(passwords, user, password):
        login_throttle.record_success(db, keys, policy)
        db.commit()
        return user
    audit_log.record(db, "login.failure", f"username:{username[:64]}", details={"client": client})
    db.commit()
    raise NotAuthenticated(BAD_CREDENTIALS)


def confirm_password(
    db: Session,
    passwords: Passwords,
    user: User,
    password: str | None,
    *,
    client: str | None = None,
    policy: login_throttle.ThrottlePolicy | None = None,
    now: datetime | None = None,
) -> None:
    """Re-authentication before a change a stolen token must not make (password, deletion).

    The check is a password guess like a login, so it is throttled with the same counters: a token
    does not buy unlimited guesses at the password behind it. A wrong password is 403, not 401: the
    token itself is fine, and clients treat 401 as "log in again".
    """
    if not password:
        raise InvalidInput("Give your `current_password` to confirm this change.", field="current_password")
    policy = policy or login_throttle.ThrottlePolicy()
    keys = login_throttle.throttle_keys(user.username, client)
    login_throttle.begin_attempt(db, keys, policy, now)
    if _password_matches(passwords, user, password):
        login_throttle.record_success(db, keys, policy)
        db.commit()
        return
    audit_log.record(
        db, "reauth.failure", f"user:{user.id}", actor_user_id=user.id, details={"client": client}
    )
    db.commit()
    raise PermissionDenied("`current_password` is not your password; nothing was changed.")


def _password_matches(passwords: Passwords, user: User, password: str) -> bool:
    """Whether ``password`` is the user's; upgrades the stored hash (uncommitted) if its parameters aged."""
    check = passwords.check(user.password_hash, password)
    if check.ok and check.needs_rehash:
        user.password_hash = passwords.hash(password)
    return check.ok


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user


def list_users(db: Session, page: PageRequest) -> Page[User]:
    total = db.scalar(select(func.count()).select_from(User)) or 0
    rows = db.scalars(select(User).order_by(User.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=rows, total=total, limit=page.limit, offset=page.offset)


def _require_self(actor: User, target: User, verb: str) -> None:
    if actor.id != target.id:
        raise PermissionDenied(f"You may only {verb} your own account.")


@dataclass(frozen=True)
class Reauth:
    """The password a change-making request presents, and where from (for the throttle)."""

    current_password: str | None
    client: str | None = None
    policy: login_throttle.ThrottlePolicy | None = None


def update_user(
    db: Session,
    passwords: Passwords,
    actor: User,
    target: User,
    *,
    username: str | None = None,
    password: str | None = None,
    reauth: Reauth | None = None,
    keep_session_id: int | None = None,
) -> User:
    """Rename the account or change its password; the password only with the current one.

    A new password ends every session and token but ``keep_session_id``, the one that just proved the
    current password: whoever else held a token (a thief included) is out.
    """
    _require_self(actor, target, "change")
    if username is None and password is None:
        raise InvalidInput("Give a new `username` or `password`.")
    if username is not None and username != target.username:
        username = validate_username(username)
        other = find_by_username(db, username)
        if other is not None and other.id != target.id:
            raise Conflict("User already exists.")
    if password is not None:
        password = validate_password(password)
        given = reauth or Reauth(current_password=None)
        confirm_password(
            db, passwords, target, given.current_password, client=given.client, policy=given.policy
        )
    changed: list[str] = []
    if username is not None and username != target.username:
        target.username = username
        target.username_key = username.lower()
        changed.append("username")
    if password is not None:
        target.password_hash = passwords.hash(password)
        changed.append("password")
        revoke_other_sessions(db, target, keep_session_id)
    audit_log.record(
        db, "user.update", f"user:{target.id}", actor_user_id=actor.id, details={"changed": changed}
    )
    db.commit()
    return target


def delete_user(db: Session, passwords: Passwords, actor: User, target: User, reauth: Reauth) -> None:
    """Removes the account with its sessions, wallets and roles, once its password is given again (a
    stolen token must not be enough); datasets it owned stay, ownerless."""
    _require_self(actor, target, "delete")
    confirm_password(
        db, passwords, target, reauth.current_password, client=reauth.client, policy=reauth.policy
    )
    audit_log.record(
        db, "user.delete", f"user:{target.id}", actor_user_id=actor.id, details={"username": target.username}
    )
    db.delete(target)
    db.commit()
