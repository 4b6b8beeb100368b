"""Behaviour of the Ledger, identical on the embedded chain and on anvil."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from sebrus.chain import ContractReverted, InvalidInput, ItemStatus, Submission
from sebrus.chain.ledger import MAX_BATCH
from tests.support.chain import ChainKit


def digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def test_dataset_is_created_and_read_back(chain: ChainKit) -> None:
    owner = chain.funded_account()
    before = chain.ledger.dataset_count()
    info = chain.dataset(owner, name="created", labels=("a", "b"))
    assert info.owner == owner.address
    assert info.labels == ("a", "b")
    assert info.name == "created"
    assert info.item_count == 0
    assert info.index == before
    assert chain.ledger.dataset_count() == before + 1
    assert chain.ledger.dataset_address(info.index) == info.address
    assert chain.ledger.has_role(info.address, "detector", chain.handle.operators.detector.address)
    assert not chain.ledger.has_role(info.address, "detector", owner.address)


def test_submit_records_the_contributor_label_and_status(chain: ChainKit) -> None:
    owner, contributor = chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    result = chain.ledger.submit(contributor, info.address, digest("one"), "dog")
    assert [e.name for e in result.events] == ["ItemSubmitted"]
    assert result.events[0].args["contributor"] == contributor.address
    item = chain.ledger.get_item(info.address, digest("one"))
    assert item is not None
    assert (item.contributor, item.label, item.status) == (contributor.address, 1, ItemStatus.PENDING)
    assert item.submitted_at > 1_600_000_000
    assert chain.ledger.dataset(info.address).item_count == 1
    assert chain.ledger.get_item(info.address, digest("never sent")) is None


def test_duplicate_content_is_refused_by_the_contract(chain: ChainKit) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner)
    chain.ledger.submit(owner, info.address, digest("dup"), 0)
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.submit(owner, info.address, digest("dup"), 2)
    assert refused.value.error == "DuplicateItem"
    assert refused.value.arguments["contentHash"] == digest("dup")
    item = chain.ledger.get_item(info.address, digest("dup"))
    assert item is not None and item.label == 0


def test_submit_for_names_the_signer_and_the_relayer_pays(chain: ChainKit) -> None:
    owner, contributor, relayer = chain.funded_account(), chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    signed = chain.ledger.sign_contribution(contributor, info.address, digest("relayed"), "bird")
    balance = chain.ledger.balance(contributor.address)
    chain.ledger.submit_for(relayer, info.address, signed)
    item = chain.ledger.get_item(info.address, digest("relayed"))
    assert item is not None and item.contributor == contributor.address and item.label == 2
    assert chain.ledger.balance(contributor.address) == balance  # the contributor paid nothing
    with pytest.raises(ContractReverted) as replay:
        chain.ledger.submit_for(relayer, info.address, signed)
    assert replay.value.error == "DuplicateItem"


def test_a_signature_from_someone_else_is_refused(chain: ChainKit) -> None:
    owner, victim, forger = chain.funded_account(), chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    forged = chain.ledger.sign_contribution(forger, info.address, digest("forged"), 0)
    claimed = type(forged)(
        forged.content_hash, forged.label, victim.address, forged.deadline, forged.signature
    )
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.submit_for(owner, info.address, claimed)
    assert refused.value.error == "InvalidSignature"
    assert chain.ledger.get_item(info.address, digest("forged")) is None


def test_a_signature_for_another_dataset_is_refused(chain: ChainKit) -> None:
    owner, contributor = chain.funded_account(), chain.funded_account()
    first, second = chain.dataset(owner, name="first"), chain.dataset(owner, name="second")
    signed = chain.ledger.sign_contribution(contributor, first.address, digest("cross"), 0)
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.submit_for(owner, second.address, signed)
    assert refused.value.error == "InvalidSignature"


def test_an_expired_signature_is_refused_before_sending(chain: ChainKit) -> None:
    owner, contributor = chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    signed = chain.ledger.sign_contribution(
        contributor, info.address, digest("late"), 0, deadline=int(time.time()) - 5
    )
    block = chain.ledger.block_number()
    with pytest.raises(InvalidInput, match="expired"):
        chain.ledger.submit_for(owner, info.address, signed)
    assert chain.ledger.block_number() == block


def test_batches_anchor_many_items_in_one_transaction(chain: ChainKit) -> None:
    owner, contributor, relayer = chain.funded_account(), chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    own = [Submission(digest(f"own-{i}"), i % 3) for i in range(40)]
    result = chain.ledger.submit_batch(contributor, info.address, own)
    assert [e.args["contentHash"] for e in result.events] == [s.content_hash for s in own]
    signed = [
        chain.ledger.sign_contribution(contributor, info.address, digest(f"sig-{i}"), 1) for i in range(30)
    ]
    chain.ledger.submit_batch_for(relayer, info.address, signed)
    assert chain.ledger.dataset(info.address).item_count == 70
    item = chain.ledger.get_item(info.address, digest("sig-29"))
    assert item is not None and item.contributor == contributor.address


def test_a_batch_skips_a_known_item_and_anchors_the_rest(chain: ChainKit) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner)
    chain.ledger.submit(owner, info.address, digest("known"), 0)
    batch = [
        Submission(digest("fresh-1"), 0),
        Submission(digest("known"), 1),
        Submission(digest("fresh-2"), 2),
    ]
    result = chain.ledger.submit_batch(owner, info.address, batch)
    (skipped,) = [e for e in result.events if e.name == "ItemSkipped"]
    assert bytes(skipped.args["contentHash"]) == digest("known")
    assert skipped.args["holder"] == owner.address
    assert chain.ledger.get_item(info.address, digest("fresh-1")) is not None
    known = chain.ledger.get_item(info.address, digest("known"))
    assert known is not None and known.label == 0  # the first record stands
    assert chain.ledger.dataset(info.address).item_count == 3


@pytest.mark.parametrize("size", [0, MAX_BATCH + 1])
def test_batch_limits_are_refused_before_sending(chain: ChainKit, size: int) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner)
    block = chain.ledger.block_number()
    with pytest.raises(InvalidInput, match="batch"):
        chain.ledger.submit_batch(owner, info.address, [Submission(digest(f"b{i}"), 0) for i in range(size)])
    assert chain.ledger.block_number() == block


def test_a_full_batch_fits(chain: ChainKit) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner)
    result = chain.ledger.submit_batch(
        owner, info.address, [Submission(digest(f"full-{i}"), 0) for i in range(MAX_BATCH)]
    )
    assert len(result.events) == MAX_BATCH
    print(f"[{chain.backend}] submitBatch of {MAX_BATCH}: {result.gas_used / MAX_BATCH:.0f} gas per item")


def test_only_the_detector_quarantines(chain: ChainKit) -> None:
    owner, stranger = chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    chain.ledger.submit(owner, info.address, digest("suspect"), 0)
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.quarantine(stranger, info.address, digest("suspect"), digest("report"))
    assert refused.value.error == "AccessControlUnauthorizedAccount"
    result = chain.ledger.quarantine(
        chain.handle.operators.detector, info.address, digest("suspect"), digest("report")
    )
    assert result.events[0].name == "ItemQuarantined"
    assert result.events[0].args["reportHash"] == digest("report")
    item = chain.ledger.get_item(info.address, digest("suspect"))
    assert item is not None and item.status == ItemStatus.QUARANTINED
    with pytest.raises(ContractReverted) as again:
        chain.ledger.quarantine(
            chain.handle.operators.detector, info.address, digest("suspect"), digest("report")
        )
    assert again.value.error == "InvalidStatusTransition"


def test_a_resolver_settles_items_and_the_outcome_is_final(chain: ChainKit) -> None:
    owner, resolver = chain.funded_account(), chain.funded_account()
    info = chain.dataset(owner)
    chain.ledger.submit(owner, info.address, digest("judged"), 0)
    with pytest.raises(ContractReverted):
        chain.ledger.resolve(resolver, info.address, digest("judged"), True)
    chain.ledger.grant_role(owner, info.address, "resolver", resolver.address)
    chain.ledger.resolve(resolver, info.address, digest("judged"), False)
    item = chain.ledger.get_item(info.address, digest("judged"))
    assert item is not None and item.status == ItemStatus.REJECTED
    with pytest.raises(ContractReverted) as refused:
        chain.ledger.resolve(resolver, info.address, digest("judged"), True)
    assert refused.value.error == "InvalidStatusTransition"


def test_images_travel_in_events_when_the_dataset_asks(chain: ChainKit) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner, name="on-chain", payload_on_chain=True)
    image = b"\x89PNG fake but hashed bytes" * 10
    with pytest.raises(InvalidInput, match="image bytes are required"):
        chain.ledger.submit(owner, info.address, hashlib.sha256(image).digest(), 0)
    result = chain.ledger.submit(owner, info.address, hashlib.sha256(image).digest(), 0, payload=image)
    payloads = [e for e in result.events if e.name == "ItemPayload"]
    assert payloads and payloads[0].args["payload"] == image


BAD_INPUTS = [
    ("malformed dataset address", {"dataset": "0x1234"}, "not an Ethereum address"),
    ("bad checksum", {"dataset": "0x52908400098527886e0F7030069857D2E4169EE7"}, "checksum"),
    ("short hash", {"content_hash": b"\x01" * 31}, "32 bytes"),
    ("hex hash of wrong length", {"content_hash": "0xabcd"}, "64 hex digits"),
    ("zero hash", {"content_hash": bytes(32)}, "must not be zero"),
    ("label name outside the set", {"label": "horse"}, "not in the dataset's label set"),
    ("label index outside the set", {"label": 3}, "outside the dataset's 3 labels"),
    ("unknown dataset", {"dataset": "0x000000000000000000000000000000000000dEaD"}, "unknown dataset"),
]


@pytest.mark.parametrize(("case", "override", "message"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_is_refused_and_no_transaction_is_sent(
    chain: ChainKit, case: str, override: dict[str, object], message: str
) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner)
    args: dict[str, object] = {"dataset": info.address, "content_hash": digest(case), "label": 0, **override}
    block = chain.ledger.block_number()
    nonce = chain.ledger.w3.eth.get_transaction_count(owner.address)
    with pytest.raises(InvalidInput, match=message):
        chain.ledger.submit(owner, args["dataset"], args["content_hash"], args["label"])  # type: ignore[arg-type]
    assert chain.ledger.block_number() == block
    assert chain.ledger.w3.eth.get_transaction_count(owner.address) == nonce


def test_events_come_back_in_chain_order(chain: ChainKit) -> None:
    owner = chain.funded_account()
    start = chain.ledger.block_number() + 1
    info = chain.dataset(owner, name="ordered")
    for i in range(3):
        chain.ledger.submit(owner, info.address, digest(f"ordered-{i}"), i)
    events = chain.ledger.events(start)
    names = [e.name for e in events if e.address in (info.address, chain.ledger.deployment.manager)]
    assert names[0] in ("DatasetCreated", "RoleGranted", "DatasetInitialized")
    assert names.count("ItemSubmitted") == 3
    positions = [e.position for e in events]
    assert positions == sorted(positions)
    submitted = [e.args["contentHash"] for e in events if e.name == "ItemSubmitted"]
    assert submitted == [digest(f"ordered-{i}") for i in range(3)]


def test_concurrent_submissions_from_one_account_all_land(chain: ChainKit) -> None:
    owner = chain.funded_account()
    info = chain.dataset(owner, name="concurrent")
    failures: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(5):
                chain.ledger.submit(owner, info.address, digest(f"c-{offset}-{i}"), 0)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert chain.ledger.dataset(info.address).item_count == 20
