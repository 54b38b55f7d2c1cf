"""``python -m instances.benchmark [--check] [--all] [CLASS ...]``: rebuild PLIB-1.

Writes the committed instance files (classes tiny, fig9, paper) from their
recipes; ``--all`` (or naming x10/huge) also writes the recipe-only ones;
``--check`` writes nothing and exits 1 if a file differs from its recipe.
The same as ``partialloading bench --regenerate [--check]``.
"""

import sys

from instances.benchmark import ENTRIES, regenerate, select


def main(argv: list[str]) -> int:
    flags = {word for word in argv if word.startswith("-")}
    if flags - {"--check", "--all"}:
        option = sorted(flags)[0]
        print(f"instances.benchmark: unknown option {option}", file=sys.stderr)
        return 2
    words = [word for word in argv if not word.startswith("-")]
    try:
        entries = select(words) if words else list(ENTRIES.values())
    except ValueError as error:
        print(f"instances.benchmark: {error}", file=sys.stderr)
        return 2
    if not words and "--all" not in flags:
        entries = [entry for entry in entries if entry.committed]
    stale = regenerate(entries, check="--check" in flags)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
