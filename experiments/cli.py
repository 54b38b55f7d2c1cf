"""Placeholder: the experiment command (owned by the experiments work)."""


def add_arguments(sub) -> None:
    sub.add_parser("experiment", help="run an experiment campaign")


def run(args) -> int:
    raise NotImplementedError
