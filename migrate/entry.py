"""The ``ssot-migrate`` entry point: the fast ``check`` replay, then the typer CLI.

``ssot-migrate check`` on an unchanged tree is a pre-commit hook's common case; it
answers from the cache before typer, rich and the parsers are imported (they cost
more than the check).  Nothing here runs at import time: importing
:mod:`migrate.cli` never exits the process.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["check"]:
        from .guard import fast_main

        code = fast_main(args[1:])
        if code is not None:
            sys.exit(code)
    from .cli import main as cli_main

    cli_main(args)


if __name__ == "__main__":  # pragma: no cover
    main()
