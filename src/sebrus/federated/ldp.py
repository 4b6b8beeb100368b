"""ε-LDP for the one number a client reveals besides its update: its training loss.

The loss is clipped to ``[0, L]`` first, so two clients' reports differ by at most ``L`` before noise:
the sensitivity of a report is ``L`` (user level: the whole report is the client's, not one example).
Laplace noise of scale ``L / ε`` then gives pure ε-LDP per report (the scale is
``sebrus.detect.contributors.laplace_scale``, shared with the central scan). The Gaussian mechanism
gives (ε, δ)-LDP with ``σ = L·sqrt(2 ln(1.25/δ)) / ε`` (Dwork and Roth, Theorem A.1; stated for
ε < 1, used as the conventional calibration above it). For the same ε Gaussian noise is about
3.4 times wider than Laplace at δ = 1e-5, so Laplace is the default.

Each report is ε-LDP on its own; a client that reports in R rounds has spent R·ε in total by
sequential composition, which the experiment reports alongside the per-round ε.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

Mechanism = Literal["laplace", "gaussian"]
MECHANISMS: tuple[Mechanism, ...] = ("laplace", "gaussian")

#: How many noise scales past [0, L] a report may fall before it is refused as not coming from the
#: mechanism: P(|Laplace(b)| > 20 b) = e^-20 ≈ 2e-9; P(|N(0, σ²)| > 20 σ) is far smaller still.
TAIL_SCALES = 20.0


def gaussian_sigma(clip: float, epsilon: float, delta: float) -> float:
    """σ of the Gaussian mechanism for sensitivity ``clip`` at (ε, δ)."""
    if clip <= 0 or epsilon <= 0:
        raise ValueError("clip and epsilon must be positive")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must lie in (0, 1), got {delta}")
    return clip * math.sqrt(2.0 * math.log(1.25 / delta)) / epsilon


def noise_scale(mechanism: Mechanism, clip: float, epsilon: float | None, delta: float = 1e-5) -> float:
    """The mechanism's scale parameter (Laplace b, Gaussian σ); 0 when ε is None (no noise)."""
    if epsilon is None:
        return 0.0
    if mechanism == "laplace":
        from sebrus.detect.contributors import laplace_scale  # scipy/sklearn: only when noise is drawn

        return laplace_scale(clip, epsilon)
    if mechanism == "gaussian":
        return gaussian_sigma(clip, epsilon, delta)
    raise ValueError(f"unknown mechanism {mechanism!r}; expected one of {', '.join(MECHANISMS)}")


def noise_sd(mechanism: Mechanism, clip: float, epsilon: float | None, delta: float = 1e-5) -> float:
    """Standard deviation of one report's noise (Laplace: √2·b)."""
    scale = noise_scale(mechanism, clip, epsilon, delta)
    return math.sqrt(2.0) * scale if mechanism == "laplace" else scale


def privatise_loss(
    loss: float,
    *,
    clip: float,
    epsilon: float | None,
    mechanism: Mechanism = "laplace",
    delta: float = 1e-5,
    rng: np.random.Generator,
) -> float:
    """Clip ``loss`` to [0, clip] and add the mechanism's noise: the only loss a client ever sends."""
    if not math.isfinite(loss):
        loss = clip  # a diverged local run reports the worst clipped loss, not NaN
    clipped = min(max(float(loss), 0.0), clip)
    scale = noise_scale(mechanism, clip, epsilon, delta)
    if scale == 0.0:
        return clipped
    if mechanism == "laplace":
        return clipped + float(rng.laplace(0.0, scale))
    return clipped + float(rng.normal(0.0, scale))


def report_range(
    mechanism: Mechanism, clip: float, epsilon: float | None, delta: float = 1e-5
) -> tuple[float, float]:
    """The interval an honest report lies in except with negligible probability (see TAIL_SCALES)."""
    margin = TAIL_SCALES * noise_scale(mechanism, clip, epsilon, delta)
    return -margin, clip + margin
