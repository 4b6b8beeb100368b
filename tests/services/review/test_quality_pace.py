"""Reviewer pace is time per item viewed: a page voted on in one bulk submission and the same page voted
on item by item read the same, and clicking through a page after a pause still reads as too fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sebrus.services.review.quality import FAST_SECONDS, seconds_per_item

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_page_voted_on_in_one_bulk_submission_gets_the_sittings_time_per_item() -> None:
    # Ten items served together, looked at for 40 s, voted on in one submission (within a second).
    bulk = [(_at(40 + n / 10), _at(0)) for n in range(10)]
    figures = seconds_per_item(bulk)
    assert len(figures) == 10 and all(abs(f - 4.09) < 0.01 for f in figures)
    assert min(figures) >= FAST_SECONDS  # not "too fast": 4 s per image


def test_the_same_page_voted_item_by_item_in_the_same_time_reads_the_same() -> None:
    one_by_one = [(_at(4 * (n + 1)), _at(0)) for n in range(10)]
    assert seconds_per_item(one_by_one) == [4.0] * 10


def test_clicking_through_a_page_after_a_pause_is_too_fast() -> None:
    # Served, ten seconds of waiting, then twenty votes in two seconds: 0.6 s per image, however long
    # each item had been on screen.
    clicks = [(_at(10 + n / 10), _at(0)) for n in range(20)]
    assert max(seconds_per_item(clicks)) < FAST_SECONDS


def test_a_new_page_starts_a_new_sitting_that_does_not_borrow_the_last_ones_time() -> None:
    first = [(_at(60), _at(0)), (_at(60.5), _at(0))]  # 60.5 s for two items
    second = [(_at(61 + n / 10), _at(60.8)) for n in range(5)]  # served after the last vote, then clicked
    figures = seconds_per_item(first + second)
    assert figures[:2] == [30.25, 30.25]
    assert all(f < 1 for f in figures[2:])


def test_scripted_votes_after_a_look_at_the_queue_are_not_too_fast() -> None:
    # The CLI: one queue call, two minutes with the images, then 54 votes at 3.5 s each (the CLI's pace).
    scripted = [(_at(120 + 3.5 * n), _at(0)) for n in range(54)]
    assert min(seconds_per_item(scripted)) > FAST_SECONDS
