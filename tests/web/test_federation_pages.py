"""The dataset page's "Federated training" section: the owner starts a federation from a form (CSRF,
refusals beside their field, nothing opened on a refusal); everyone sees its rounds, exclusions and
transactions once the engine's rounds are anchored."""

from __future__ import annotations

import hashlib

from eth_account import Account
from fastapi import FastAPI

from sebrus.db.models import Federation
from sebrus.federated.records import LossReport, RoundRecord
from sebrus.federated.reports import loss_reports_sha256
from sebrus.platform import ChainServices
from sebrus.services.federation.sink import PlatformRoundSink
from tests.support.web import browser, create_dataset, csrf_from, register

WALLETS = [Account.create().address for _ in range(3)]


def _federations(app: FastAPI, dataset_id: int) -> list[Federation]:
    with app.state.platform.session_factory() as db:
        return list(db.query(Federation).filter(Federation.dataset_id == dataset_id))


def test_an_owner_starts_a_federation_and_everyone_sees_its_rounds(
    app: FastAPI, services: ChainServices
) -> None:
    owner = browser(app)
    register(owner)
    dataset_id = create_dataset(owner, "federated pets")
    page = owner.get(f"/datasets/{dataset_id}").text
    assert "Federated training" in page and 'id="no-federations"' in page
    form = {
        "csrf_token": csrf_from(page),
        "labels": ["cat", "dog"],
        "mechanism": "laplace",
        "model": "reference",
    }
    form |= {"elimination": "high-loss-cluster", "min_clients": "2"}

    bad = owner.post(f"/datasets/{dataset_id}/federations", data={**form, "rounds": "0", "epsilon": "1"})
    assert bad.status_code == 400 and 'id="rounds-error"' in bad.text and "from 1 to 500" in bad.text
    noisy = owner.post(f"/datasets/{dataset_id}/federations", data={**form, "rounds": "3", "epsilon": "lots"})
    assert noisy.status_code == 400 and 'id="epsilon-error"' in noisy.text
    no_model = owner.post(
        f"/datasets/{dataset_id}/federations",
        data={**form, "rounds": "3", "epsilon": "1", "model": "uploaded"},
    )
    assert no_model.status_code == 400 and 'id="model-error"' in no_model.text
    assert "no uploaded model" in no_model.text
    tiny = owner.post(
        f"/datasets/{dataset_id}/federations",
        data={**form, "rounds": "3", "epsilon": "1", "image_size": "4"},
    )
    assert tiny.status_code == 400 and 'id="image_size-error"' in tiny.text and "from 8 to 256" in tiny.text
    forged = owner.post(
        f"/datasets/{dataset_id}/federations", data={**form, "csrf_token": "x", "rounds": "3"}
    )
    assert forged.status_code == 403
    assert _federations(app, dataset_id) == []

    started = owner.post(
        f"/datasets/{dataset_id}/federations",
        data={**form, "rounds": "3", "epsilon": "inf", "image_size": "12", "in_channels": "3"},
    )
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"/datasets/{dataset_id}?federation=started#federations"
    (federation,) = _federations(app, dataset_id)
    assert (federation.config["image_size"], federation.config["in_channels"]) == (12, 3)

    assert services.federations is not None
    platform = app.state.platform
    sink = PlatformRoundSink(
        platform.session_factory, services.federations, services.handle.operators.relayer, platform.blobs
    )
    reports = tuple(LossReport(w, 0.5 + i, 12, "0x" + "ef" * 65) for i, w in enumerate(WALLETS))
    sink.record_round(
        RoundRecord(
            federation_id=federation.id,
            round_index=1,
            participants=tuple(WALLETS),
            excluded=(WALLETS[1],),
            refused=(),
            separated=True,
            aggregate_sha256=hashlib.sha256(b"aggregate").hexdigest(),
            loss_reports_sha256=loss_reports_sha256(reports),
            loss_reports=reports,
        )
    )

    stranger = browser(app)
    register(stranger)
    seen = stranger.get(f"/datasets/{dataset_id}").text
    assert f'id="federation-{federation.id}"' in seen and "1 of 3 rounds anchored" in seen
    assert WALLETS[1] in seen and federation.open_tx_hash in seen
    assert 'id="federation-start"' not in seen  # the form is the owner's
    refused = stranger.post(
        f"/datasets/{dataset_id}/federations",
        data={**form, "csrf_token": csrf_from(seen), "rounds": "3", "epsilon": "1"},
    )
    assert refused.status_code == 403 and "owner" in refused.text
