"""A user's own method, named ``package.module:function``, run like a built-in one.

The contract (docs/benchmark.md): ``function(instance, options)`` takes an
:class:`~instances.model.Instance` and :class:`~solvers.result.Options` and
returns an :class:`~solvers.result.Outcome` (schedule, status, optional proven
bound) or a bare :class:`~instances.schedule.Schedule` (then status
``feasible``, no bound). If the module also defines ``supports(instance,
options) -> str | None``, it is asked first, as for built-in methods.

:func:`solvers.registry.get` and :func:`solvers.registry.spec` resolve any
name with a colon through :func:`load` and :func:`spec`, so
:func:`solvers.registry.run` times the function and judges its schedule with
the evaluator exactly as it judges ours.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from instances.schedule import Schedule
from solvers.result import Options, Outcome, Status

if TYPE_CHECKING:
    from collections.abc import Callable

    from instances.model import Instance


@dataclass(frozen=True)
class UserMethod:
    """Adapter giving a bare function the registry's method interface."""

    name: str
    function: Callable[[Instance, Options], Outcome | Schedule]
    check: Callable[[Instance, Options], str | None] | None = None

    def supports(self, instance: Instance, options: Options) -> str | None:
        return None if self.check is None else self.check(instance, options)

    def solve(self, instance: Instance, options: Options) -> Outcome:
        try:
            outcome = self.function(instance, options)
        except (KeyboardInterrupt, MemoryError):
            raise
        except BaseException as error:  # SystemExit too: a user crash ends no run
            raise RuntimeError(f"{type(error).__name__}: {error}") from error
        if isinstance(outcome, Schedule):
            return Outcome(outcome, Status.FEASIBLE)
        if not isinstance(outcome, Outcome):
            raise TypeError(
                f"{self.name} returned {type(outcome).__name__}, "
                "expected an Outcome or a Schedule"
            )
        return outcome


def spec(name: str):
    """Return the registry facts of a user's method (checked by :func:`load`).

    A user's method is not exact (its bounds are not trusted), is given the
    time limit, and may take per-user deadlines (its ``supports`` decides; the
    evaluator checks them).
    """
    from solvers.registry import MethodSpec

    load(name)
    return MethodSpec(
        name, "a user's method", exact=False, time_limit=True, user_deadlines=True
    )


def load(name: str) -> UserMethod:
    """Import ``package.module:function`` and return it as a method.

    Raises
    ------
    ValueError
        Naming ``method`` if the module cannot be imported or has no such
        callable.
    """
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute.isidentifier():
        raise ValueError(f'method: expected "package.module:function", got "{name}"')
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f'method: cannot import "{module_name}": {error}') from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise ValueError(f'method: "{module_name}" has no function "{attribute}"')
    check = getattr(module, "supports", None)
    return UserMethod(name, function, check if callable(check) else None)
