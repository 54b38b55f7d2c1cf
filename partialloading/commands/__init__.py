"""The subcommands of ``partialloading``, one module each.

Every module has ``add_arguments(sub)``, which adds its subparser to the
subparsers action ``sub``, and ``run(args) -> int``, which runs it and returns
the exit status. Modules stay light at import: they import the packages they
drive inside ``run``, so ``partialloading --help`` starts fast.
"""
