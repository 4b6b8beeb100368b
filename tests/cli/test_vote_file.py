"""Reading bulk-vote decisions from a file: CSV or JSON lines, and a sentence naming the line otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from sebrus.cli.vote_file import VoteFileError, read_decisions

A, B = "ab" * 32, "0C" * 32


def test_csv_with_header_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(f"sha256,decision\n# Monday\n\n{A},approve\n0x{B[:13]}, Reject\n")
    assert read_decisions(path) == [(A, True), (B[:13].lower(), False)]


def test_json_lines_as_objects_or_pairs(tmp_path: Path) -> None:
    path = tmp_path / "votes.jsonl"
    path.write_text(f'{{"sha256": "{A}", "decision": "reject"}}\n["{B[:10]}", "approve"]\n')
    assert read_decisions(path) == [(A, False), (B[:10].lower(), True)]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "holds no decisions"),
        ("sha256,decision\n", "a header but no decisions"),
        (f"{A}\n", "line 1: expected `hash-or-prefix,approve|reject`"),
        (f"{A},approve\nxyz,approve\n", "line 2: 'xyz' is not a sha256"),
        (f"{A},yes\n", "line 1: the decision must be approve or reject, not 'yes'"),
        (f'{{"sha256": "{A}"}}\n', "line 1: expected"),
        (f'{{"sha256": "{A}", "decision": "approve"}}\nnot json\n', "line 2: not JSON"),
    ],
)
def test_a_line_that_is_not_a_decision_is_named(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(text)
    with pytest.raises(VoteFileError) as refused:
        read_decisions(path)
    assert says in str(refused.value)
