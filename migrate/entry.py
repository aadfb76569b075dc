"""The ``ssot-migrate`` entry point: the fast paths, then the typer CLI.

``ssot-migrate check`` on an unchanged tree is a pre-commit hook's common case, and
``status`` is the first command after a crash: both answer (from the check cache,
from the ledger and journals) before typer, rich and the parsers are imported,
which cost more than they do.  Nothing here runs at import time: importing
:mod:`migrate.cli` never exits the process.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["check"], ["status"]):
        if args[0] == "check":
            from .guard import fast_main
        else:
            fast_main = _status_fast
        code = fast_main(args[1:])
        if code is not None:
            sys.exit(code)
    from .cli import main as cli_main

    cli_main(args)


def _status_fast(argv: list[str]) -> int | None:
    """``status`` from the ledger alone, without typer or the phases; None: let the full command run
    (``--plan``, ``--help``, an option this parser does not know, an error to report)."""
    import argparse

    ap = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    ap.add_argument("--spec", type=Path)
    ap.add_argument("--format", default="text", choices=("text", "json"))
    ap.add_argument("--jobs", "-j", type=int)  # only used with --plan
    try:
        args, rest = ap.parse_known_args(list(argv))
    except (SystemExit, Exception):  # noqa: BLE001 - let the real parser say what is wrong
        return None
    if rest:
        return None
    try:
        from .commands import ledger_status
        from .guard import _spec_root
        from .spec import find_spec_file

        spec_file = args.spec if args.spec is not None else find_spec_file(Path.cwd())
        result = ledger_status(_spec_root(spec_file.resolve(), spec_file.read_bytes()))
    except Exception:  # noqa: BLE001 - the full command reports errors properly
        return None
    print_status(result, args.format == "json")
    return 0


def print_status(result, as_json: bool) -> None:
    from rich.console import Console

    from . import render

    if as_json:
        sys.stdout.write(render.status_json(result) + "\n")
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(render.status_table(result))
    if result.lock:
        kind = "STALE lock (run `ssot-migrate unlock`)" if result.stale_lock else "lock held"
        console.print(f"{kind}: pid {result.lock.get('pid')} ({result.lock.get('command')})", markup=False)
    if getattr(result, "leftover_temp", None):
        console.print(render.temp_files_line(result.leftover_temp, "left by an interrupted run (`unlock`, `rollback` or `apply` removes them)"),
                      markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
