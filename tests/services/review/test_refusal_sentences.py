"""Every custom error the Review contract (this release's and the previous one's) can revert with reaches a
person as a sentence, never as its bare name; scripts still get the name as the refusal's code."""

from __future__ import annotations

import pytest

from sebrus.chain.artifacts import load_artifact, load_legacy_artifact
from sebrus.chain.errors import ContractReverted
from sebrus.services.errors import Conflict, ServiceError
from sebrus.services.review.errors import refusal, sentence_for


def _review_errors() -> list[tuple[str, list[str]]]:
    """(name, argument names) of every error in the Review ABIs, each once."""
    found: dict[str, list[str]] = {}
    for artifact in (load_artifact("Review"), load_legacy_artifact("Review", 1)):
        for entry in artifact.abi:
            if entry.get("type") == "error":
                found.setdefault(str(entry["name"]), [str(i["name"]) for i in entry["inputs"]])
    return sorted(found.items())


ERRORS = _review_errors()


def test_the_abi_walk_finds_the_review_errors() -> None:
    names = {name for name, _ in ERRORS}
    assert {"DepositRequired", "NoBallot", "InsufficientPool", "AlreadyVoted"} <= names


@pytest.mark.parametrize(("name", "arguments"), ERRORS, ids=[name for name, _ in ERRORS])
def test_each_review_error_has_a_sentence(name: str, arguments: list[str]) -> None:
    sentence = sentence_for(name)
    assert sentence is not None, f"{name} has no sentence for people"
    assert sentence[0].isupper() and sentence.endswith("."), sentence
    values: dict[str, object] = {a: 1 for a in arguments}
    if "contentHash" in values:
        values["contentHash"] = bytes(32)
    refused = refusal(ContractReverted(name, values, None))
    assert isinstance(refused, ServiceError)
    assert name not in refused.message, f"the message for {name} shows the bare name"
    assert refused.code == name


def test_an_older_name_prefixed_message_is_split_into_code_and_sentence() -> None:
    refused = Conflict("NoBallot: you have no vote on this item to claim for.")
    assert (refused.code, refused.message) == ("NoBallot", "You have no vote on this item to claim for.")
    plain = Conflict("Cannot vote: the chain failed.")
    assert (plain.code, plain.message) == (None, "Cannot vote: the chain failed.")
