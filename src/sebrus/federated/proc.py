"""Process entry points: ``python -m sebrus.federated.proc server|client ...``.

The experiment and the CI test start one server and N clients as separate OS processes with these;
they talk only over Flower's gRPC transport on the given address. The server writes each round's
record as JSON lines and the final parameters as an ``.npz`` (read back without pickle).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sebrus.federated.client import LocalData, SebrusClient
from sebrus.federated.config import FederationConfig, initial_ndarrays
from sebrus.federated.keys import load_account
from sebrus.federated.records import RoundRecord
from sebrus.federated.strategy import EliminatingFedAvg
from sebrus.federated.transport import join, serve


class JsonlSink:
    """A RoundSink that appends each record to a JSON-lines file (the experiment's and tests' sink)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record_round(self, record: RoundRecord) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(record), sort_keys=True) + "\n")

    def record_final_model(self, federation_id: int, model_sha256: str, model_bytes: bytes) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"final_model_sha256": model_sha256, "bytes": len(model_bytes)}) + "\n")


def read_records(path: Path) -> list[dict[str, object]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [r for r in (json.loads(line) for line in lines) if "round_index" in r]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sebrus.federated.proc")
    sub = parser.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server")
    s.add_argument("--config", type=Path, required=True, help="FederationConfig JSON file")
    s.add_argument("--address", required=True)
    s.add_argument("--clients", type=int, required=True, help="wait for this many clients each round")
    s.add_argument("--records", type=Path, required=True)
    s.add_argument("--final", type=Path, required=True, help="where to write the final parameters (.npz)")
    c = sub.add_parser("client")
    c.add_argument("--data", type=Path, required=True)
    c.add_argument("--key-file", type=Path, required=True)
    c.add_argument("--address", required=True)
    c.add_argument("--federation", type=int, required=True)
    c.add_argument("--noise-seed", type=int, default=None)
    c.add_argument("--train-seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.role == "server":
        config = FederationConfig.from_json(args.config.read_text(encoding="utf-8"))
        strategy = EliminatingFedAvg(
            config, initial_ndarrays(config), JsonlSink(args.records), min_clients=args.clients
        )
        serve(strategy, args.address)
        np.savez(args.final, *strategy.current)
        return 0
    client = SebrusClient(
        LocalData(folder=args.data),
        load_account(args.key_file),
        args.federation,
        noise_seed=args.noise_seed,
        train_seed=args.train_seed,
    )
    join(client, args.address)
    return 0


if __name__ == "__main__":
    sys.exit(main())
