"""Federated mode: contributors train on images that never leave their machines.

A library, like `sebrus.detect`: it runs a Flower server strategy and client, the seed-004
defence (ε-LDP training losses clustered with K-Means), and the experiment. It imports no face,
service or adapter; provenance (chain anchoring, database, pages) is wired in by
`sebrus.services.federation` through the `RoundSink` protocol in `records`.
"""

import os

# Flower sends usage telemetry to flower.ai unless told not to, and reads the switch once at import:
# a client's machine should not phone home because it joined a federation.
os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
