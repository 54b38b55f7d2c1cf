"""Exit statuses of the command line (spec section 4, README table)."""

from __future__ import annotations

import signal

from solvers.result import Status

OK = 0  # done; solve returned a schedule; verify: feasible
INFEASIBLE = 1  # verify only: a well-formed schedule that is not feasible
BAD_INPUT = 2  # bad file, option or value; a method that refuses the instance
BUG = 3  # a method crashed or returned what the evaluator rejects
NO_SCHEDULE = 4  # solve only: a limit stopped the search before any incumbent
SOLVER_ERROR = 5  # solve only: the external solver failed
SOLVER_INFEASIBLE = 6  # solve only: the solver claims the model infeasible
BROKEN_PIPE = 128 + signal.SIGPIPE  # the reader closed stdout, as Unix tools do
INTERRUPTED = 130  # Ctrl-C

_BY_STATUS = {
    Status.OPTIMAL: OK,
    Status.FEASIBLE: OK,
    Status.TIME_LIMIT: OK,
    Status.NO_SOLUTION: NO_SCHEDULE,
    Status.ERROR: SOLVER_ERROR,
    Status.INFEASIBLE: SOLVER_INFEASIBLE,
    Status.CRASHED: BUG,
    Status.UNSUPPORTED: BAD_INPUT,
}


def for_status(status: Status) -> int:
    """Return the exit status of ``solve`` for a result's ``status``."""
    return _BY_STATUS[status]
