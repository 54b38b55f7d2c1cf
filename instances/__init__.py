"""The problem: instance model, timing, schedule evaluation, I/O and generators."""

from instances.io import InputError, load_instance, save_instance
from instances.model import Block, Instance, Loading, Model, User
from instances.schedule import Batch, Evaluation, Schedule, Violation, evaluate
from instances.timing import OPTIMAL, Bandwidth

__all__ = [
    "OPTIMAL",
    "Bandwidth",
    "Batch",
    "Block",
    "Evaluation",
    "InputError",
    "Instance",
    "Loading",
    "Model",
    "Schedule",
    "User",
    "Violation",
    "evaluate",
    "load_instance",
    "save_instance",
]
