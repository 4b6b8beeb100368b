"""Decodes are bounded: a fixed number run at once, and new datasets cap the pixels of each one."""

from __future__ import annotations

import threading

import pytest

from sebrus.config import Settings
from sebrus.services import datasets
from sebrus.services.errors import RateLimited
from sebrus.services.ingest import images
from sebrus.services.ingest.images import DecodeSlots, ImageRefused, configure_decode_slots, inspect_image
from tests.support.images import png


def test_a_decode_waiting_past_its_limit_for_a_slot_is_told_to_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    gate = DecodeSlots(1, wait_seconds=0.05)
    monkeypatch.setattr(images, "DECODE_SLOTS", gate)
    held, release = threading.Event(), threading.Event()

    def occupy() -> None:
        with gate:
            held.set()
            release.wait(5)

    worker = threading.Thread(target=occupy)
    worker.start()
    try:
        assert held.wait(5)
        with pytest.raises(RateLimited) as refused:
            inspect_image(png(1))
        assert refused.value.retry_after_seconds >= 1
        assert "decoding 1 images already" in refused.value.message
    finally:
        release.set()
        worker.join()
    assert inspect_image(png(1)).width == 8  # the slot is free again


def test_the_gate_is_sized_from_settings_or_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "DECODE_SLOTS", images.DECODE_SLOTS)  # restored after the test
    configure_decode_slots(Settings(decode_concurrency=3).decode_concurrency)
    assert images.DECODE_SLOTS.slots == 3
    configure_decode_slots(0)
    assert images.DECODE_SLOTS.slots == images.default_decode_slots() >= 1


def test_a_new_dataset_bounds_width_and_height_by_default() -> None:
    spec = datasets.DatasetSpec(name="n", labels=["a"], max_width=None, max_height=None)
    assert (spec.max_width, spec.max_height) == (datasets.DEFAULT_MAX_SIDE, datasets.DEFAULT_MAX_SIDE)
    assert datasets.DatasetSpec(name="n", max_width=10_000).max_width == 10_000  # the owner may raise it
    wide = png(2, size=(datasets.DEFAULT_MAX_SIDE + 1, 1))
    with pytest.raises(ImageRefused) as refused:
        inspect_image(wide, max_width=spec.max_width, max_height=spec.max_height)
    assert refused.value.reason == "dimensions"
