"""Plain-text reporting shared by the command line and the experiments."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from solvers.result import Result


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], markdown: bool = False
) -> str:
    """Return ``rows`` as an aligned text table (or a Markdown table)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[c]) for r in cells) for c in range(len(headers))]

    def line(row: list[str]) -> str:
        parts = [
            v.rjust(w) if _numeric(v) else v.ljust(w)
            for v, w in zip(row, widths, strict=True)
        ]
        return (
            "| " + " | ".join(parts) + " |" if markdown else "  ".join(parts).rstrip()
        )

    rule = (
        "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        if markdown
        else "  ".join("-" * w for w in widths)
    )
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def summary(result: Result, batches: bool = True) -> str:
    """Return a readable summary of ``result``: counts, status, bound, timings."""
    gap = "-" if result.gap is None else f"{100 * result.gap:.2f}%"
    lines = [
        f"instance   {result.instance}",
        f"method     {result.method}",
        f"served     {result.served} / {result.num_users} users "
        f"({100 * result.served_ratio:.1f}%)",
        f"status     {result.status.value}",
        f"bound      {'-' if result.bound is None else result.bound}   gap {gap}",
        f"runtime    {1000 * result.runtime_s:.2f} ms "
        f"(model build {1000 * result.build_time_s:.2f} ms)",
        f"settings   reuse_blocks={str(result.schedule.reuse_blocks).lower()} "
        f"bandwidth={result.schedule.bandwidth}",
    ]
    if batches and result.evaluation.timeline:
        rows = [
            (
                n,
                t.model,
                len(t.users),
                f"{1000 * t.start_s:.2f}",
                f"{1000 * t.upload_s:.2f}",
                f"{1000 * t.load_s:.2f}",
                f"{1000 * t.compute_s:.2f}",
                f"{1000 * t.end_s:.2f}",
            )
            for n, t in enumerate(result.evaluation.timeline, start=1)
        ]
        headers = (
            "batch",
            "model",
            "users",
            "start ms",
            "upload ms",
            "load ms",
            "compute ms",
            "end ms",
        )
        lines += ["", table(headers, rows)]
    return "\n".join(lines)
