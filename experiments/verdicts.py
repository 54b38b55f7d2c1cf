"""The one verdict vocabulary of ``claims`` and the rules from evidence to verdict.

Defined once here and in ``docs/verification.md`` (section "Verdict vocabulary");
every row of ``claims.md`` carries one of these and nothing else.

Theorem-like statements (propositions, theorems, corollaries, remarks, the
NP-hardness argument):

* **holds** -- tested and true as stated;
* **holds w.l.o.g.** (without loss of generality) -- a necessary condition
  ("X* must satisfy ...") that some optimal schedule satisfies but some other
  optimal schedule violates: true as "there is an optimal schedule with the
  property", false as the stated necessary condition;
* **fails** -- false as stated, with a counterexample file;
* **not tested** -- with the reason (usually: the evidence file is missing).

Quantitative statements (gains, levels, trends of the figures; runtimes):

* **reproduced** -- within the tolerance written in ``experiments/configs/
  claims.toml`` (``[tolerance]``) before the runs;
* **same direction, different size** -- the sign (or the direction of a trend)
  agrees but the size is outside the tolerance;
* **not reproduced** -- the sign or direction disagrees.

The functions below are pure: numbers in, a :class:`Verdict` out. They are the
only place where a verdict is decided (``tests/test_verdicts.py`` tests them on
synthetic evidence).
"""

from __future__ import annotations

import enum
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


class Verdict(enum.StrEnum):
    """The verdicts; the value is the text written in claims.md."""

    HOLDS = "holds"
    HOLDS_WLOG = "holds w.l.o.g."
    FAILS = "fails"
    NOT_TESTED = "not tested"
    REPRODUCED = "reproduced"
    SAME_DIRECTION = "same direction, different size"
    NOT_REPRODUCED = "not reproduced"


THEOREM_VERDICTS = (
    Verdict.HOLDS,
    Verdict.HOLDS_WLOG,
    Verdict.FAILS,
    Verdict.NOT_TESTED,
)
QUANTITATIVE_VERDICTS = (
    Verdict.REPRODUCED,
    Verdict.SAME_DIRECTION,
    Verdict.NOT_REPRODUCED,
    Verdict.NOT_TESTED,
)


@dataclass(frozen=True, slots=True)
class Tolerance:
    """When a measured number "reproduces" a stated one.

    ``ours`` reproduces ``paper`` when |ours - paper| <= max(points, relative *
    |paper|), both in the same unit (percentage points for gains and served
    ratios). A difference inside ``zero_band`` (either side of 0) has no sign.
    Runtimes and speed-ups are reproduced within a ``factor`` either way
    (:func:`ratio`).
    """

    points: float = 5.0
    relative: float = 0.25
    zero_band: float = 0.5
    factor: float = 2.0

    def within(self, ours: float, paper: float) -> bool:
        """Return whether ``ours`` is within the tolerance of ``paper``."""
        return abs(ours - paper) <= max(self.points, self.relative * abs(paper))

    def sign(self, value: float) -> int:
        """Return -1, 0 or 1: the sign of ``value``, 0 inside the zero band."""
        if abs(value) <= self.zero_band:
            return 0
        return 1 if value > 0 else -1


def not_tested(reason: str) -> str:
    """Return the evidence text of a claim whose evidence is missing."""
    return f"not tested ({reason})"


def necessary_condition(checked: int, none_satisfy: int, some_violate: int) -> Verdict:
    """Return the verdict on "every optimal schedule X* must satisfy C".

    Parameters
    ----------
    checked
        Instances whose optimal schedules were all enumerated.
    none_satisfy
        Instances where no optimal schedule satisfies C (C loses optimality).
    some_violate
        Instances where some optimal schedule violates C.
    """
    if checked <= 0:
        return Verdict.NOT_TESTED
    if none_satisfy > 0:
        return Verdict.FAILS
    if some_violate > 0:
        return Verdict.HOLDS_WLOG
    return Verdict.HOLDS


def universal(checked: int, counterexamples: int) -> Verdict:
    """Return the verdict on "P holds on every instance" (fails on one exception)."""
    if checked <= 0:
        return Verdict.NOT_TESTED
    return Verdict.FAILS if counterexamples > 0 else Verdict.HOLDS


def gain(ours: float | None, paper: float, tol: Tolerance) -> Verdict:
    """Return the verdict on a stated gain (or gap), both in the same unit.

    Reproduced within ``tol``; same direction when the signs agree (a value
    inside the zero band agrees only with a stated 0); not reproduced otherwise.
    """
    if ours is None or math.isnan(ours):
        return Verdict.NOT_TESTED
    if tol.within(ours, paper):
        return Verdict.REPRODUCED
    if tol.sign(ours) == tol.sign(paper):
        return Verdict.SAME_DIRECTION
    return Verdict.NOT_REPRODUCED


def level(ours: float | None, paper: float, tol: Tolerance) -> Verdict:
    """Return the verdict on a stated level (a served ratio in percent).

    A level has no direction: reproduced within ``tol``, else not reproduced.
    """
    if ours is None or math.isnan(ours):
        return Verdict.NOT_TESTED
    return Verdict.REPRODUCED if tol.within(ours, paper) else Verdict.NOT_REPRODUCED


def dominates(differences: Sequence[float], tol: Tolerance) -> Verdict:
    """Return the verdict on "A consistently outperforms B" across x values.

    ``differences`` holds A - B at each x (percentage points). Reproduced when
    A > B beyond the zero band at every x; same direction when A > B on average
    but not at every x; not reproduced otherwise.
    """
    if not differences:
        return Verdict.NOT_TESTED
    if all(tol.sign(d) > 0 for d in differences):
        return Verdict.REPRODUCED
    if tol.sign(sum(differences) / len(differences)) > 0:
        return Verdict.SAME_DIRECTION
    return Verdict.NOT_REPRODUCED


def trend(values: Sequence[float], direction: int, tol: Tolerance) -> Verdict:
    """Return the verdict on "the curve increases" (+1) or "decreases" (-1).

    Reproduced when every step moves in ``direction`` or stays inside the zero
    band and the whole curve moves beyond it; same direction when only the
    whole curve does; not reproduced otherwise.
    """
    if len(values) < 2:
        return Verdict.NOT_TESTED
    steps = [b - a for a, b in itertools.pairwise(values)]
    overall = tol.sign(values[-1] - values[0])
    if overall != direction:
        return Verdict.NOT_REPRODUCED
    if all(tol.sign(s) in (0, direction) for s in steps):
        return Verdict.REPRODUCED
    return Verdict.SAME_DIRECTION


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """Return one verdict for several quantitative numbers of one statement.

    Not tested if none was tested; reproduced if every tested one is; not
    reproduced if any is; same direction otherwise.
    """
    tested = [v for v in verdicts if v is not Verdict.NOT_TESTED]
    if not tested:
        return Verdict.NOT_TESTED
    if all(v is Verdict.REPRODUCED for v in tested):
        return Verdict.REPRODUCED
    if any(v is Verdict.NOT_REPRODUCED for v in tested):
        return Verdict.NOT_REPRODUCED
    return Verdict.SAME_DIRECTION


def complexity(measured: float | None, claimed: float, slack: float) -> Verdict:
    """Return the verdict on a stated growth exponent against a measured one.

    ``measured`` is the fitted exponent of an operation count along one axis,
    ``claimed`` the bound's exponent on that axis (0 when the bound omits it);
    the bound fails when the count grows faster than ``claimed + slack``.
    """
    if measured is None or math.isnan(measured):
        return Verdict.NOT_TESTED
    return Verdict.FAILS if measured > claimed + slack else Verdict.HOLDS


def refuted(checked: int, disagreements: int) -> Verdict:
    """Return the verdict on a hardness argument refuted by an exact polynomial method.

    The argument fails when the polynomial method agreed with brute force on
    every checked instance of the special case it calls hard; with no check or
    a disagreement the refutation is not shown (not tested).
    """
    if checked <= 0 or disagreements > 0:
        return Verdict.NOT_TESTED
    return Verdict.FAILS


def conjunction(parts: Iterable[Verdict]) -> Verdict:
    """Return one theorem verdict for a statement tested in several parts.

    Not tested if no part was; fails if any part fails; holds w.l.o.g. if any
    part holds only so; holds otherwise.
    """
    tested = [v for v in parts if v is not Verdict.NOT_TESTED]
    if not tested:
        return Verdict.NOT_TESTED
    if Verdict.FAILS in tested:
        return Verdict.FAILS
    if Verdict.HOLDS_WLOG in tested:
        return Verdict.HOLDS_WLOG
    return Verdict.HOLDS


def ratio(
    ours: float | None, paper: float, factor: float, directional: bool = True
) -> Verdict:
    """Return the verdict on a stated runtime or speed-up (a positive ratio).

    Reproduced within a factor ``factor`` of ``paper`` either way. A speed-up
    (``directional``) is the same direction when both are above 1 or both below;
    a runtime has no direction (not reproduced outside the factor).
    """
    if ours is None or math.isnan(ours) or ours <= 0:
        return Verdict.NOT_TESTED
    if paper / factor <= ours <= paper * factor:
        return Verdict.REPRODUCED
    if directional and (ours > 1) == (paper > 1):
        return Verdict.SAME_DIRECTION
    return Verdict.NOT_REPRODUCED
