"""``sebrus experiment``: reruns of the seed papers' small studies, so their claims can be checked."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

experiment_app = typer.Typer(
    name="experiment",
    help="Rerun the seed papers' experiments and write their figures.",
    no_args_is_help=True,
)


class NoiseReading(StrEnum):
    std = "std"
    variance = "variance"


def _prepare_out_dir(out: Path) -> Path:
    """Create ``out`` or refuse it, before minutes of work are spent on a run that cannot be saved."""
    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{out} exists and is not a directory", param_hint="--out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot create directory {out}: {exc.strerror or exc}", param_hint="--out"
        ) from exc
    probe = out / ".sebrus-write-probe"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise typer.BadParameter(
            f"directory {out} is not writable: {exc.strerror or exc}", param_hint="--out"
        ) from exc
    return out


@experiment_app.command("blobs")
def blobs(
    out: Annotated[Path, typer.Option("--out", help="Directory for the two PNG figures and the CSV.")],
    seed: Annotated[
        int,
        typer.Option("--seed", help="Seed for which points get poisoned (the seed paper left it unseeded)."),
    ] = 23,
    noise: Annotated[
        NoiseReading,
        typer.Option(
            "--noise",
            help="How to read the seed's 'variance': std (what its code does, scale=var) or a true variance.",
        ),
    ] = NoiseReading.std,
    sklearn: Annotated[
        bool, typer.Option("--sklearn/--no-sklearn", help="Also run sklearn's converged KMeans (slower).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings summary as JSON.")] = False,
) -> None:
    """Seed 004's make_blobs poisoning study: accuracy and silhouette against poisoned count and noise."""
    # Imported here so that `sebrus --help` does not pay for numpy, sklearn and matplotlib.
    from sebrus.detect.experiments.blobs import BlobsStudyConfig, run_blobs_study
    from sebrus.detect.experiments.blobs_figures import RESULTS_CSV, write_figures, write_results_csv
    from sebrus.detect.experiments.blobs_findings import summarise_findings

    out_dir = _prepare_out_dir(out)
    config = BlobsStudyConfig(shuffle_seed=seed, noise=noise.value, with_sklearn=sklearn)
    console = Console(stderr=True)
    started = time.perf_counter()
    with console.status("Clustering 2,500 poisoned copies of make_blobs...", spinner="dots"):
        result = run_blobs_study(config)
    elapsed = time.perf_counter() - started
    csv_path = out_dir / RESULTS_CSV
    write_results_csv(result, csv_path)
    accuracy_png, silhouette_png = write_figures(result, out_dir)

    summary: dict[str, Any] = summarise_findings(result)
    summary["outputs"] = {
        "csv": str(csv_path),
        "accuracy_png": str(accuracy_png),
        "silhouette_png": str(silhouette_png),
    }
    summary["study_seconds"] = round(elapsed, 2)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    _print_summary(Console(), summary)


def console_status(message: str) -> Any:
    return Console(stderr=True).status(message, spinner="dots")


class FederatedTransport(StrEnum):
    grpc = "grpc"
    inprocess = "inprocess"


@experiment_app.command("federated")
def federated(
    out: Annotated[Path, typer.Option("--out", help="Directory for the JSON, CSV and PNG figures.")],
    quick: Annotated[
        bool, typer.Option("--quick", help="One small cell: 8 clients, 3 rounds, 25% label flipping, ε = 1.")
    ] = False,
    transport: Annotated[
        FederatedTransport,
        typer.Option(
            "--transport",
            help="grpc: a server process and a process per client over Flower's gRPC transport. "
            "inprocess: the same client and strategy classes called in one process (the full grid's cost).",
        ),
    ] = FederatedTransport.grpc,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Rounds per federation in the full grid.")
    ] = 20,
    resume: Annotated[bool, typer.Option("--resume", help="Keep cells already in --out's JSON.")] = False,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate/--no-simulate", help="Also run the gap test on synthetic losses (not with --quick)."
        ),
    ] = True,
) -> None:
    """Seed 004 in federation: ε-LDP loss reports clustered with K-Means to leave poisoners out (MNIST-5k)."""
    from sebrus.federated.experiment import full_cells, quick_cells, run_study, simulate_grid

    out_dir = _prepare_out_dir(out)
    if simulate and not quick:
        with console_status("Gap test on synthetic losses over ε and rounds..."):
            simulate_grid(out_dir)
    cells = quick_cells() if quick else full_cells(rounds)
    console = Console(stderr=True)
    console.print(f"Running {len(cells)} federations over {transport.value}; results go to {out_dir}.")

    def report(r: dict[str, Any]) -> None:
        console.print(
            f"{r['cell']}: accuracy {r['accuracy']:.3f}, recall {r['malicious_recall']}, "
            f"precision {r['malicious_precision']}, honest excluded {r['honest_excluded']} ({r['seconds']} s)"
        )

    try:
        run_study(cells, transport.value, out_dir, on_cell=report, resume=resume)
    except RuntimeError as exc:
        console.print(f"Error: {exc}")
        raise typer.Exit(1) from exc
    console.print(f"Wrote {out_dir / 'federated_results.json'}, the CSV and the figures.")


def _print_summary(console: Console, summary: dict[str, Any]) -> None:
    accuracy, silhouette = summary["accuracy"], summary["silhouette"]
    console.print(f"Study ran in {summary['study_seconds']} s over {summary['grid']['cells']} cells.")
    console.print(
        f"Accuracy: min {accuracy['min_matched']:.3f} at noise {accuracy['worst_cell']['noise_level']:g}, "
        f"{accuracy['worst_cell']['poisoned']} poisoned; "
        f"raw ids equal best matching: {accuracy['raw_equals_matched']}."
    )
    console.print(
        f"Silhouette: clean {silhouette['clean']:.3f}, min {silhouette['min']:.3f}, "
        f"low corner {silhouette['low_corner']:.3f} vs high corner {silhouette['high_corner']:.3f}."
    )
    for claim, holds in summary["claims"].items():
        console.print(f"  {'reproduced' if holds else 'NOT reproduced'}: {claim}")
    for name, path in summary["outputs"].items():
        console.print(f"Wrote {name}: {path}")
