"""The shared primitives: one sha256 rule, exact ETH, atomic JSON."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from sebrus.primitives import (
    MAX_WEI,
    Sha256Hex,
    atomic_write_json,
    eth_to_wei,
    format_eth,
    is_sha256_hex,
    normalize_sha256,
    private_dir,
    private_file,
)

UPPER = "AB" * 32


def test_sha256_is_64_hex_digits_in_either_case_and_normalises_to_lower() -> None:
    assert is_sha256_hex("ab" * 32) and is_sha256_hex(UPPER)
    assert not is_sha256_hex("ab" * 31) and not is_sha256_hex("g" * 64) and not is_sha256_hex(None)
    assert normalize_sha256(f" 0x{UPPER} ") == "ab" * 32
    with pytest.raises(ValueError, match="not a sha256"):
        normalize_sha256("xyz")
    assert TypeAdapter(Sha256Hex).validate_python(UPPER) == "ab" * 32
    with pytest.raises(ValidationError):
        TypeAdapter(Sha256Hex).validate_python("ab" * 33)


@pytest.mark.parametrize(
    ("typed", "wei"),
    [("1", 10**18), ("0.001", 10**15), ("1e-18", 1), ("0.000000000000000001", 1), (" 2.5 ", 25 * 10**17)],
)
def test_eth_to_wei_is_exact(typed: str, wei: int) -> None:
    assert eth_to_wei(typed) == wei


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an amount"),
        ("abc", "Enter an amount"),
        ("NaN", "more than 0"),
        ("-1", "zero or more"),
        ("Infinity", "zero or more"),
        ("0", "more than 0"),
        ("1e-19", "more than 18 decimal places"),
        ("0.0000000000000000001", "more than 18 decimal places"),
        ("1e999999999", "too large"),
        ("1e-999999999", "more than 18 decimal places"),  # underflows to 0 wei in Decimal's context
        ("79228162514.264337593543950336", "too large"),  # exactly 2**96 wei
        ("9" * 81, "Enter an amount"),
    ],
)
def test_eth_to_wei_refuses_what_it_cannot_represent_exactly(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        eth_to_wei(typed, allow_zero=typed in ("-1", "Infinity"))


@pytest.mark.parametrize(
    ("typed", "wei"),
    [
        ("0.5", 5 * 10**17),
        ("0.5 ETH", 5 * 10**17),
        ("0.5eth", 5 * 10**17),
        ("2 ether", 2 * 10**18),
        ("1000 wei", 1000),
        (" 1000WEI ", 1000),
        ("1e3 wei", 1000),
        ("1000", 1000 * 10**18),  # a bare number is ETH, never wei
    ],
)
def test_amounts_are_eth_unless_wei_is_named(typed: str, wei: int) -> None:
    assert eth_to_wei(typed) == wei


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.5 wei", "not a whole number of wei"),
        ("wei", "Enter an amount"),
        ("1 gwei", "Enter an amount"),
        (
            "79228162514264337593543950336 wei",
            "too large: it must be below 79228162514.264337593543950336 ETH",
        ),
        ("1e999999999 wei", "too large"),
        ("1.0000000000000000000000000001", "more than 18 decimal places"),  # never rounded to 1 ETH
        ("1.0000000000000000000000000001 ETH", "more than 18 decimal places"),
    ],
)
def test_amounts_that_cannot_be_represented_are_refused_in_eth_terms(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        eth_to_wei(typed)


def test_zero_only_when_allowed_and_the_largest_amount_round_trips() -> None:
    assert eth_to_wei("0", allow_zero=True) == 0
    largest = format_eth(MAX_WEI - 1, unit=False)
    assert eth_to_wei(largest) == MAX_WEI - 1


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0 ETH"),
        (10**15, "0.001 ETH"),
        (15 * 10**17, "1.5 ETH"),
        (1, "0.000000000000000001 ETH"),
        (-(10**18), "-1 ETH"),
    ],
)
def test_format_eth_is_exact_without_trailing_zeros(wei: int, text: str) -> None:
    assert format_eth(wei) == text
    if wei > 0:
        assert eth_to_wei(format_eth(wei, unit=False)) == wei


def test_atomic_write_json_replaces_whole_files_and_keeps_private_ones_private(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    atomic_write_json(target, {"b": 1, "a": [1, 2]}, private=True)
    assert json.loads(target.read_text()) == {"b": 1, "a": [1, 2]}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    atomic_write_json(target, {"new": True}, indent=None)
    assert target.read_text() == '{"new": true}'
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(TypeError):
        atomic_write_json(target, {"bad": object()})
    assert json.loads(target.read_text()) == {"new": True}  # a failed write leaves the old file
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]  # and no temporary behind


def test_eth_to_wei_names_the_amount_when_told() -> None:
    with pytest.raises(ValueError, match=r"^The stake must be an amount of ETH"):
        eth_to_wei("abc", what="The stake")
    with pytest.raises(ValueError, match=r"^The stake has more than 18 decimal places"):
        eth_to_wei("1e-19", what="The stake")


def test_format_eth_rounds_only_when_asked() -> None:
    assert format_eth(999_113_562_500_000_001, places=6) == "0.999114 ETH"
    assert format_eth(1_234_500_000_000_000_000_000, places=6) == "1,234.5 ETH"
    assert format_eth(1, places=6) == "0 ETH"
    assert format_eth(1) == "0.000000000000000001 ETH"


def test_private_dir_creates_and_tightens_to_0700(tmp_path: Path) -> None:
    made = private_dir(tmp_path / "a" / "b")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert stat.S_IMODE(private_dir(loose).stat().st_mode) == 0o700


def test_private_file_is_0600_from_creation_and_tightens_an_existing_one(tmp_path: Path) -> None:
    new = private_file(tmp_path / "new.db")
    assert new.read_bytes() == b"" and stat.S_IMODE(new.stat().st_mode) == 0o600
    old = tmp_path / "old.db"
    old.write_bytes(b"rows")
    old.chmod(0o644)
    assert stat.S_IMODE(private_file(old).stat().st_mode) == 0o600 and old.read_bytes() == b"rows"
