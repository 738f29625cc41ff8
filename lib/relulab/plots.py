"""One figure style for the whole book: seaborn's paper context, colour-blind palette, readable sizes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from numpy.typing import ArrayLike

from . import check

__all__ = ["loglog_slope", "style"]

PALETTE = "colorblind"


def style() -> None:
    """Apply the book's figure style (call once at the top of a chapter)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.titlesize": 12,
            "axes.labelsize": 11,
            "legend.fontsize": 10,
            "figure.autolayout": True,
            "svg.hashsalt": "relulab",  # deterministic SVG ids if a chapter ever saves SVG
        }
    )


def loglog_slope(x: ArrayLike, y: ArrayLike) -> float:
    """Least-squares slope of log(y) against log(x): the fitted exponent of a power law."""
    x = check.array("x", x, 1, allow_empty=True)
    y = check.array("y", y, 1, allow_empty=True)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"need two equal-length arrays of at least 2 points, got {x.shape} and {y.shape}")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("loglog_slope needs positive values")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])
