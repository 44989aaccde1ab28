"""Command line: ``python -m model <command>`` (also the ``chip-export`` script).

Exit status 0 on success, 2 on invalid input (message on standard error, no
traceback, no output file created or truncated), 1 on an unexpected failure.

Each command group is a module with a ``register`` function: :mod:`.core` (project,
summary, validate), :mod:`.risk` (simulate, tornado, forecast) and :mod:`.workbook`
(export, import-xlsx) and :mod:`.facts` (reconcile, vintages).
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Sequence

from .. import __version__
from ..gate import InputError, track_reads
from . import core, facts, risk, workbook
from .common import EXIT_FAILURE, EXIT_INPUT, EXIT_INTERRUPTED, CommandParser

__all__ = ["build_parser", "main", "run"]

#: The command groups, in the order ``--help`` lists them.
GROUPS = (core, risk, workbook, facts)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m model",
        description="Chip Export Impact: who gains what from US licences for AI chips to "
        "China, and what each month of delay costs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=CommandParser
    )
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with track_reads():  # the output gate refuses to write over any file read
            return int(args.func(args))
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # people get a sentence, not a traceback
        if os.environ.get("CHIP_EXPORT_DEBUG"):
            raise
        print(
            f"error: unexpected failure: {type(exc).__name__}: {exc} "
            "(set CHIP_EXPORT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def run() -> None:
    """The command line as a process: :func:`main`, then :func:`leave` with its status."""
    leave(main())


def leave(status: int) -> None:
    """End the process with ``status`` once its work is done, without the interpreter's
    teardown of every module.

    The exit handlers run and the standard streams are flushed as at a normal exit; what
    is skipped is freeing each module's objects one by one, which takes 0.1-0.25 s once
    the compiled kernel (numba, LLVM) or pandas is loaded, for nothing the process still
    needs. With a thread other than a daemon still running, the exit is the normal one
    (which waits for it).
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not t.daemon for t in others):
        sys.exit(status)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (``| head``): the output could not all be written
        status = status or EXIT_FAILURE
    os._exit(status)
