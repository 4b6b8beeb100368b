"""The review finalizer: calls ``Review.finalize`` for what time alone decides, so nobody has to.

Two things never move without a ``finalize`` call (``contracts/Review.sol``, which lets anyone call
it): a Pending item judged under a policy with x = 0 (nobody votes; ``finalize`` approves it), and a
commit-reveal round whose reveal window has closed (``finalize`` settles it if decided, fails it if
not, and the next commit opens a new round). This loop finds both in the database and calls
``finalize``; the indexer then records the outcome from the contract's events, as for any vote.

Each pass is bounded: it classifies at most ``batch`` new items (a cursor over item ids, kept in
``chain_cursor`` under ``review-finalizer-items``), reads at most ``batch`` reveal deadlines from the
chain, and sends at most ``batch`` transactions, chosen by one indexed query on
``review_deadlines (state, due_at)``. Every row it takes leaves that query (done, rescheduled or,
after ``MAX_ATTEMPTS`` unexpected refusals, failed), so the loop never spins.

An x = 0 item is not approved the moment it is anchored: it waits ``no_vote_grace_seconds`` (chain
time from its block), or its policy's ``finalize_delay`` when that is longer (reviews since version 2
refuse earlier with ``FinalizeTooEarly``, which reschedules the row), so that a scan or a revocation
can still quarantine it, which makes it need a
human vote. And the loop stops sending while its account holds less than ``reserve_wei``: the same
account sends the platform's quarantines, and someone flooding an x = 0 dataset with uploads must not
be able to spend the gas those need.

Idempotent and crash-safe: a row is closed in the database only after its transaction is mined, so
a crash in between sends ``finalize`` again, which the contract refuses (``NothingToFinalize``); that
refusal, like a finalize someone else sent first, is logged at info and closes the row once the
chain confirms there is nothing left to do.
"""

from __future__ import annotations

import bisect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sebrus.chain.clock import block_timestamp, chain_now
from sebrus.chain.errors import ContractReverted, LedgerError
from sebrus.chain.review import ReviewLedger
from sebrus.chain.review_types import ReviewPolicy, ReviewTerms
from sebrus.db.models import ChainCursor, Dataset, Item, ItemStatus, ReviewDeadline
from sebrus.db.models.review_deadlines import AWAITING_DEPOSIT, DONE, DUE, FAILED, NO_VOTE

log = logging.getLogger(__name__)

ITEM_CURSOR = "review-finalizer-items"
BATCH = 100
RETRY_SECONDS = 30  # first back-off after an unexpected refusal; doubles each time
MAX_ATTEMPTS = 8  # then the row is marked failed and left for a person (about an hour of retries)
DEPOSIT_RECHECK_SECONDS = 3600  # DepositPaid wakes a waiting row at once; this is the fallback
NO_VOTE_GRACE_SECONDS = 600  # an x = 0 item may be quarantined by a scan for this long after anchoring
RESERVE_WEI = 5 * 10**16  # 0.05 ETH left for quarantines: the finalizer never spends below it
LOW_FUNDS_LOG_SECONDS = 600  # say so at most this often while the account is below the reserve
ALREADY_DONE = ("NothingToFinalize", "AlreadyResolved")


@dataclass
class FinalizerPass:
    """What one pass did; the loop runs again at once while a pass did anything."""

    classified: int = 0  # new items looked at
    scheduled: int = 0  # rows given a due time (read from the chain, or pushed back)
    finalized: list[str] = field(default_factory=list)  # transactions mined
    closed: int = 0  # rows closed without a transaction of ours (someone else finalized)
    failed: int = 0

    @property
    def work(self) -> int:
        return self.classified + self.scheduled + len(self.finalized) + self.closed + self.failed


class ReviewFinalizer:
    """Finds due review work in the database and sends ``finalize`` for it.

    The caller account should be the platform's **detector** operator: ``finalize`` needs no role, so
    the account only pays gas, and the detector is the funded operator that already sends the
    platform's automated item transactions (quarantines). The relayer's nonces and balance stay
    dedicated to anchoring uploads (its batches are the throughput path), and the deployer, which
    holds the manager's admin keys and funds custodial wallets, signs as little as possible.
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        reviews: ReviewLedger,
        caller: LocalAccount,
        *,
        after_finalize: Callable[[], None] | None = None,
        batch: int = BATCH,
        no_vote_grace_seconds: int = NO_VOTE_GRACE_SECONDS,
        reserve_wei: int = RESERVE_WEI,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be positive")
        if no_vote_grace_seconds < 0 or reserve_wei < 0:
            raise ValueError("the grace period and the reserve cannot be negative")
        self._grace = no_vote_grace_seconds
        self._reserve = reserve_wei
        self._low_funds_logged_at: float | None = None
        self._sessions = sessions
        self._reviews = reviews
        self._caller = caller
        self._after = after_finalize
        self._batch = batch
        self._policies: dict[str, list[ReviewPolicy]] = {}  # dataset address -> versions (immutable)

    def step(self) -> int:
        """One bounded pass; returns how much it did (0 when there was nothing to do)."""
        return self.run_once().work

    def run_once(self) -> FinalizerPass:
        done = FinalizerPass()
        if not self._reviews.is_deployed:
            return done
        with self._sessions() as db:
            done.classified = self._classify(db)
            done.scheduled += self._read_deadlines(db)
            self._finalize_due(db, done)
        if done.finalized and self._after is not None:
            self._after()
        return done

    # ------------------------------------------------------------------ x = 0 items

    def _classify(self, db: Session) -> int:
        """Look at the next items once each; an x = 0 item still Pending gets a no-vote row."""
        cursor = db.get(ChainCursor, ITEM_CURSOR)
        if cursor is None:
            cursor = ChainCursor(name=ITEM_CURSOR, block_number=0, log_index=-1)
            db.add(cursor)
        rows = db.execute(
            select(Item.id, Item.dataset_id, Item.content_hash, Item.status, Item.block_number)
            .where(Item.id > cursor.block_number)
            .order_by(Item.id)
            .limit(self._batch)
        ).all()
        if not rows:
            db.rollback()
            return 0
        mined_at: dict[int, int] = {}
        fresh: set[str] = set()
        for _item_id, dataset_id, content_hash, status, block in rows:
            if status != ItemStatus.PENDING:
                continue  # quarantined items need a human vote; resolved ones need nothing
            address = self._address(db, dataset_id)
            if address is None:
                continue
            if address not in fresh:  # versions added since the last pass may judge these items
                self._refresh_policies(address)
                fresh.add(address)
            policies = self._policies[address]
            if all(p.terms.quorum != 0 for p in policies):
                continue
            terms = self._terms_for(address, policies, content_hash, block, mined_at)
            if terms.quorum == 0 and not _has_row(db, dataset_id, content_hash, NO_VOTE, 0):
                anchored = mined_at.get(block, 0) if block is not None else 0
                db.add(
                    ReviewDeadline(
                        dataset_id=dataset_id,
                        content_hash=content_hash,
                        kind=NO_VOTE,
                        round=0,
                        state=AWAITING_DEPOSIT if terms.deposit_wei else DUE,
                        due_at=anchored + max(self._grace, terms.finalize_delay_s),
                        attempts=0,
                    )
                )
        cursor.block_number = rows[-1][0]
        db.commit()
        return len(rows)

    def _refresh_policies(self, address: str) -> None:
        known = self._policies.setdefault(address, [])
        count = self._reviews.policy_count(address)
        for version in range(len(known), count):
            known.append(self._reviews.policy(address, version))

    def _terms_for(
        self,
        address: str,
        policies: list[ReviewPolicy],
        content_hash: str,
        block: int | None,
        mined_at: dict[int, int],
    ) -> ReviewTerms:
        """The terms that judge an item: the last version in force when its block was mined."""
        if block is None:
            return self._reviews.policy_for(address, content_hash).terms
        if block not in mined_at:
            mined_at[block] = block_timestamp(self._reviews.ledger, block)
        starts = [p.effective_from for p in policies]
        index = max(bisect.bisect_right(starts, mined_at[block]) - 1, 0)
        return policies[index].terms

    # ------------------------------------------------------------------ commit-reveal deadlines

    def _read_deadlines(self, db: Session) -> int:
        """Rounds whose reveal deadline the index does not know yet (no CommitPhaseClosed seen)."""
        stmt = select(
            ReviewDeadline.id, ReviewDeadline.dataset_id, ReviewDeadline.content_hash, ReviewDeadline.round
        ).where(ReviewDeadline.state == DUE, ReviewDeadline.due_at.is_(None))
        rows = db.execute(stmt.order_by(ReviewDeadline.id).limit(self._batch)).all()
        for row_id, owner, content_hash, round_index in rows:
            address = self._address(db, owner)
            if address is None:
                values: dict[str, object] = {"state": FAILED, "last_error": "the dataset has no review"}
            else:
                info = self._reviews.round_info(address, content_hash, int(round_index))
                values = {"state": DONE} if info.settled else {"due_at": info.reveal_ends}
            # Only where still unknown: the indexer may have written the exact time meanwhile.
            db.execute(
                update(ReviewDeadline)
                .where(ReviewDeadline.id == row_id, ReviewDeadline.due_at.is_(None))
                .values(**values)
            )
            db.commit()
        return len(rows)

    # ------------------------------------------------------------------ sending finalize

    def _finalize_due(self, db: Session, done: FinalizerPass) -> None:
        now = chain_now(self._reviews.ledger)
        stmt = select(ReviewDeadline).where(
            ReviewDeadline.state.in_((DUE, AWAITING_DEPOSIT)),
            ReviewDeadline.due_at.is_not(None),
            ReviewDeadline.due_at <= now,
        )
        rows = list(db.scalars(stmt.order_by(ReviewDeadline.due_at, ReviewDeadline.id).limit(self._batch)))
        if rows and not self._can_pay():
            return
        for row in rows:
            try:
                self._finalize_one(db, row, now, done)
            except Exception as exc:  # the node refused us (no funds, gone): not the row's fault
                db.rollback()
                log.warning("review finalizer stopped this pass: %s", exc)
                return
            db.commit()  # one row at a time: a crash repeats at most one finalize

    def _can_pay(self) -> bool:
        """False (said at most every ``LOW_FUNDS_LOG_SECONDS``) while the caller is below the reserve."""
        balance = self._reviews.ledger.balance(self._caller.address)
        if balance >= self._reserve:
            self._low_funds_logged_at = None
            return True
        stamp = time.monotonic()
        if self._low_funds_logged_at is None or stamp - self._low_funds_logged_at > LOW_FUNDS_LOG_SECONDS:
            self._low_funds_logged_at = stamp
            log.error(
                "review finalizer paused: %s holds %s wei, below the %s wei kept for quarantines; fund it",
                self._caller.address,
                balance,
                self._reserve,
            )
        return False

    def _finalize_one(self, db: Session, row: ReviewDeadline, now: int, done: FinalizerPass) -> None:
        address = self._address(db, row.dataset_id)
        if address is None:
            row.state, row.last_error = FAILED, "the dataset has no review contract"
            done.failed += 1
            return
        if row.kind == NO_VOTE:
            ready_at = self._anchored_at(db, row) + self._grace
            if ready_at > now:  # e.g. woken early by DepositPaid: a scan may still quarantine it
                row.due_at = ready_at
                done.scheduled += 1
                return
        if row.state == AWAITING_DEPOSIT:
            if not self._reviews.item_review(address, row.content_hash).deposit_paid:
                row.due_at = now + DEPOSIT_RECHECK_SECONDS
                done.scheduled += 1
                return
            row.state = DUE
        try:
            result = self._reviews.finalize(self._caller, address, row.content_hash)
        except ContractReverted as refused:
            self._refused(row, address, refused, now, done)
            return
        except LedgerError as exc:  # out of gas, a revert without reason: retried, then given up
            self._retry(row, str(exc), now, done)
            return
        row.state, row.tx_hash, row.last_error = DONE, result.tx_hash, None
        done.finalized.append(result.tx_hash)
        log.info(
            "finalized %s %s of dataset %s in %s", row.kind, row.content_hash, row.dataset_id, result.tx_hash
        )

    def _refused(
        self, row: ReviewDeadline, address: str, refused: ContractReverted, now: int, done: FinalizerPass
    ) -> None:
        if refused.error == "DepositRequired":
            row.state, row.due_at = AWAITING_DEPOSIT, now + DEPOSIT_RECHECK_SECONDS
            done.scheduled += 1
            return
        if refused.error == "FinalizeTooEarly":  # the policy's finalize_delay outlasts the grace
            row.due_at = max(int(refused.arguments["notBefore"]), now + 1)
            done.scheduled += 1
            log.info(
                "%s of dataset %s may be finalized from %s", row.content_hash, row.dataset_id, row.due_at
            )
            return
        if refused.error not in ALREADY_DONE:
            self._retry(row, str(refused), now, done)
            return
        if row.kind == NO_VOTE:
            # Approved by someone else's finalize, resolved by votes, or quarantined (a vote is needed).
            row.state = DONE
            done.closed += 1
            log.info(
                "%s of dataset %s needs no finalize any more (%s)",
                row.content_hash,
                row.dataset_id,
                refused.error,
            )
            return
        info = self._reviews.round_info(address, row.content_hash, row.round)
        if info.settled:
            row.state = DONE
            done.closed += 1
            log.info(
                "round %s of %s (dataset %s) was already finalized",
                row.round,
                row.content_hash,
                row.dataset_id,
            )
        elif info.reveal_ends > now:
            row.due_at = info.reveal_ends
            done.scheduled += 1
            log.info(
                "round %s of %s reveals until %s; finalize then",
                row.round,
                row.content_hash,
                info.reveal_ends,
            )
        else:
            self._retry(row, str(refused), now, done)

    def _retry(self, row: ReviewDeadline, error: str, now: int, done: FinalizerPass) -> None:
        row.attempts += 1
        row.last_error = error[:2000]
        if row.attempts >= MAX_ATTEMPTS:
            row.state = FAILED
            done.failed += 1
            log.error(
                "giving up finalizing %s %s after %s attempts: %s",
                row.kind,
                row.content_hash,
                row.attempts,
                error,
            )
            return
        row.due_at = now + RETRY_SECONDS * 2 ** (row.attempts - 1)
        done.scheduled += 1
        log.warning(
            "finalize of %s %s refused (%s); retrying at %s", row.kind, row.content_hash, error, row.due_at
        )

    # ------------------------------------------------------------------ helpers

    def _anchored_at(self, db: Session, row: ReviewDeadline) -> int:
        """Chain time of the block that anchored the row's item (0 when the index lacks it)."""
        block = db.scalar(
            select(Item.block_number).where(
                Item.dataset_id == row.dataset_id, Item.content_hash == row.content_hash
            )
        )
        return block_timestamp(self._reviews.ledger, block) if block is not None else 0

    def _address(self, db: Session, dataset_id: int) -> str | None:
        """The dataset's address when it has a review contract on this chain, else None."""
        dataset = db.get(Dataset, dataset_id)
        if dataset is None or dataset.chain_id is None:
            return None
        try:
            return dataset.address if self._reviews.review_address(dataset.address) is not None else None
        except LedgerError:
            return None


def _has_row(db: Session, dataset_id: int, content_hash: str, kind: str, round_index: int) -> bool:
    return (
        db.scalar(
            select(ReviewDeadline.id).where(
                ReviewDeadline.dataset_id == dataset_id,
                ReviewDeadline.content_hash == content_hash,
                ReviewDeadline.kind == kind,
                ReviewDeadline.round == round_index,
            )
        )
        is not None
    )
