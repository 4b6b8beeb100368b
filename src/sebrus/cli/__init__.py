"""The ``sebrus`` command line: one Typer app with a sub-app per concern."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="sebrus",
    help="SeBRUS: crowdsourced image datasets anchored on Ethereum and screened for poison.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

from sebrus.cli.chain_cmd import chain_app  # noqa: E402  (sub-apps register on the app above)
from sebrus.cli.experiment_cmd import experiment_app  # noqa: E402

app.add_typer(chain_app, name="chain")

from sebrus.cli.serve_cmd import serve_command  # noqa: E402

app.command("serve")(serve_command)
app.add_typer(experiment_app, name="experiment")

from sebrus.cli.audit_cmd import audit_command  # noqa: E402

app.command("audit")(audit_command)

from sebrus.cli.dataset_cmd import dataset_app  # noqa: E402
from sebrus.cli.items_cmd import items_app  # noqa: E402
from sebrus.cli.upload_cmd import upload_command  # noqa: E402
from sebrus.cli.user_cmd import user_app  # noqa: E402

app.add_typer(user_app, name="user")
app.add_typer(dataset_app, name="dataset")
app.command("upload")(upload_command)
app.add_typer(items_app, name="items")

from sebrus.cli.federate_cmd import federate_app  # noqa: E402
from sebrus.cli.release_cmd import release_app  # noqa: E402
from sebrus.cli.verify_cmd import verify_command  # noqa: E402

app.add_typer(release_app, name="release")
app.add_typer(federate_app, name="federate")
app.command("verify")(verify_command)

from sebrus.cli.detect_cmd import detect_command  # noqa: E402

app.command("detect")(detect_command)

from sebrus.cli.scan_cmd import scan_app  # noqa: E402
from sebrus.cli.worker_cmd import worker_command  # noqa: E402

app.add_typer(scan_app, name="scan")
app.command("worker")(worker_command)

import sebrus.cli.dataset_review_cmd  # noqa: E402, F401  (registers `sebrus dataset policy|allow|fund|pool`)
from sebrus.cli.review_cmd import review_app  # noqa: E402

app.add_typer(review_app, name="review")

from sebrus.cli.incident_cmd import (  # noqa: E402
    audit_log_app,
    contributor_app,
    monitor_command,
    trace_command,
)

app.command("trace")(trace_command)
app.command("monitor")(monitor_command)
app.add_typer(audit_log_app, name="audit-log")
app.add_typer(contributor_app, name="contributor")


def main() -> None:
    app()
