"""Placeholder: the export command (owned by the formulations work)."""


def add_arguments(sub) -> None:
    sub.add_parser("export", help="write the MILP model as LP or MPS")


def run(args) -> int:
    raise NotImplementedError
