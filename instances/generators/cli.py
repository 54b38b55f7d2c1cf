"""Placeholder: the generate command (owned by the generators work)."""


def add_arguments(sub) -> None:
    sub.add_parser("generate", help="generate an instance (bls, general, tiny)")


def run(args) -> int:
    raise NotImplementedError
