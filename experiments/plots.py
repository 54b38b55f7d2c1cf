"""PNG plots of the experiments (matplotlib, Agg backend, one figure per file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

# label -> (x values, means, 95% CI half-widths)
Series = Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[float]]]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    _pyplot().close(fig)


def line_plot(
    path: Path,
    series: Series,
    title: str,
    xlabel: str,
    ylabel: str,
    log: bool = False,
    fits: Mapping[str, float] | None = None,
) -> None:
    """Plot one line per label with 95% CI error bars; log-log axes if ``log``.

    ``fits`` (label -> fitted exponent) is appended to the legend labels.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    markers = "osd^vP*Xh<>"
    for n, (label, (x, mean, ci)) in enumerate(series.items()):
        text = (
            label
            if not fits or label not in fits
            else f"{label} (slope {fits[label]:.2f})"
        )
        ax.errorbar(
            x, mean, yerr=ci, marker=markers[n % len(markers)], capsize=3, label=text
        )
    if log:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, path)


def bar_plot(
    path: Path,
    labels: Sequence[str],
    means: Sequence[float],
    cis: Sequence[float],
    title: str,
    ylabel: str,
    log: bool = False,
) -> None:
    """Plot one bar per label with 95% CI error bars (log y axis if ``log``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.bar(range(len(labels)), means, yerr=cis, capsize=4, color="tab:blue")
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set(title=title, ylabel=ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    _save(fig, path)


def profile_plot(
    path: Path, taus: np.ndarray, rho: Mapping[str, np.ndarray], title: str
) -> None:
    """Plot Dolan-More performance profiles as steps on a log2 tau axis."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    x = np.log2(taus)
    for label, y in rho.items():
        ax.step(x, y, where="post", label=label)
    ax.set(
        title=title,
        xlabel="log2 tau (time / best time)",
        ylabel="share of instances within tau",
        ylim=(0, 1.02),
    )
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    _save(fig, path)
