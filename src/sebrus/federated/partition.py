"""Splitting a labelled set over clients: IID, or non-IID with a Dirichlet(α) label mix per client.

The Dirichlet split (Hsu et al., 2019) draws, for each class, the share of that class each client
gets from Dirichlet(α·1); small α gives each client a few dominant classes. Every client is given
at least ``min_size`` items by redrawing, so no client trains on nothing.
"""

from __future__ import annotations

import numpy as np


def iid_split(n_items: int, n_clients: int, seed: int = 0) -> list[np.ndarray]:
    if n_clients < 1 or n_items < n_clients:
        raise ValueError(f"cannot split {n_items} items over {n_clients} clients")
    order = np.random.default_rng(seed).permutation(n_items)
    return [np.sort(part) for part in np.array_split(order, n_clients)]


def dirichlet_split(
    labels: np.ndarray, n_clients: int, alpha: float, seed: int = 0, min_size: int = 10, max_tries: int = 100
) -> list[np.ndarray]:
    if alpha <= 0:
        raise ValueError(f"alpha must be positive, got {alpha}")
    labels = np.asarray(labels)
    if len(labels) < n_clients * min_size:
        raise ValueError(f"{len(labels)} items cannot give {n_clients} clients {min_size} each")
    rng = np.random.default_rng(seed)
    for _ in range(max_tries):
        parts: list[list[int]] = [[] for _ in range(n_clients)]
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(n_clients, alpha))
            cuts = (np.cumsum(shares)[:-1] * len(idx)).astype(int)
            for client, chunk in enumerate(np.split(idx, cuts)):
                parts[client].extend(chunk.tolist())
        if min(len(p) for p in parts) >= min_size:
            return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]
    raise ValueError(f"no Dirichlet({alpha}) split gave every client {min_size} items in {max_tries} tries")
