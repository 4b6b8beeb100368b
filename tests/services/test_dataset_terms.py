"""What an owner may state as a dataset's licence and citation."""

from __future__ import annotations

import pytest

from sebrus.services.dataset_terms import MAX_CITE_AS, MAX_LICENSE, clean_cite_as, clean_license
from sebrus.services.errors import InvalidInput


@pytest.mark.parametrize(
    "value",
    [
        "CC-BY-4.0",
        "MIT OR Apache-2.0",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "(MIT AND BSD-3-Clause) OR CC0-1.0",
        "LicenseRef-internal-use",
        "https://creativecommons.org/licenses/by/4.0/",
    ],
)
def test_spdx_expressions_and_urls_are_kept_as_given(value: str) -> None:
    assert clean_license(f"  {value} ") == value


@pytest.mark.parametrize(
    "value, problem",
    [
        ("free for all!", "SPDX"),
        ("MIT OR", "SPDX"),
        ("(MIT", "SPDX"),
        ("https://", "URL"),
        ("https://exa mple.org", "URL"),
        ("x" * (MAX_LICENSE + 1), "at most"),
    ],
)
def test_anything_else_is_refused_by_name(value: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem) as refused:
        clean_license(value)
    assert refused.value.field == "license"


def test_empty_clears_and_a_citation_keeps_its_lines() -> None:
    assert clean_license("  ") is None and clean_cite_as("") is None
    assert clean_cite_as("@misc{a,\r\n\ttitle = {A}\r\n}\n") == "@misc{a,\n\ttitle = {A}\n}"
    with pytest.raises(InvalidInput, match="control characters"):
        clean_cite_as("a\x00b")
    with pytest.raises(InvalidInput, match="at most"):
        clean_cite_as("x" * (MAX_CITE_AS + 1))
