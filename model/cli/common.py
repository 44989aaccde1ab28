"""What every command shares: exit codes, the output-path check, the console, the
files' names in headers, the warnings printed before any table, the probabilities of
scenarios given one by one, and the parser that declares a command's options only
when that command is used. Number formats live in :mod:`.formats`, tables that fit
the console in :mod:`.tables`.

Nothing here imports pandas, rich or the engine at module level: ``python -m model
--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..gate import InputError, Problem

if TYPE_CHECKING:
    from rich.console import Console

    from ..fileio import Output
    from ..loader import Loaded

EXIT_OK, EXIT_FAILURE, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130
#: The ``--width`` option's help, the same for every command that prints tables.
WIDTH_HELP = (
    "console width in columns (default: the terminal's, 160 when piped); tables wider "
    "than this are split or wrapped, never cut"
)

#: A command's handler: the parsed options in, the exit status out.
Handler = Callable[[argparse.Namespace], int]
#: Declares a command's options on its parser.
Declare = Callable[[argparse.ArgumentParser], None]


class CommandParser(argparse.ArgumentParser):
    """A command's parser whose options are declared when the command is first used.

    ``python -m model --help`` lists the commands without declaring their options, so
    the modules that options take choices or defaults from load only for the command
    that runs (or whose help is asked for).
    """

    def __init__(self, *args: Any, declare: Declare | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._declare = declare

    def declared(self) -> CommandParser:
        """This parser with its options declared (once)."""
        if self._declare is not None:
            declare, self._declare = self._declare, None
            declare(self)
        return self

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.declared()
        return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        self.declared()
        return super().format_usage()

    def format_help(self) -> str:
        self.declared()
        return super().format_help()


Commands = argparse._SubParsersAction  # the object ``add_subparsers`` returns


def add_command(
    sub: Commands, name: str, handler: Handler, declare: Declare, **kwargs: Any
) -> None:
    """Add command ``name``: ``declare`` adds its options on first use, ``handler`` runs it."""
    parser = sub.add_parser(name, declare=declare, **kwargs)
    parser.set_defaults(func=handler)


def out_path(value: str, file_arg: str, inputs: Sequence[str | Path | None] = ()) -> Output:
    """An output checked before any work: its folder, and that it is none of ``inputs``.

    ``-`` is standard output. Write it with :func:`model.fileio.write_output`, which
    checks again against every file the command has read by then.
    """
    from ..fileio import check_output

    return check_output(value, file_arg, [i for i in inputs if i is not None])


def unique_names(loaded: Sequence[Loaded], what: str) -> None:
    """Refuse scenarios that share a name (the same file twice, or two files alike)."""
    names = [lo.name for lo in loaded]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InputError(
            [
                Problem(
                    lo.scenario.file if lo.scenario else lo.base_file,
                    "name",
                    f"scenario names must be unique {what} (given more than once)",
                    lo.name,
                    True,
                )
                for lo in loaded
                if lo.name in repeated
            ]
        )


def console(width: int | None, stderr: bool = False) -> Console:
    """A rich console; piped output gets a wide page instead of 80 columns.

    ``stderr`` sends the tables to standard error, when standard output carries a
    file (``--csv -``).
    """
    from rich.console import Console

    if width is None and not (sys.stderr if stderr else sys.stdout).isatty():
        width = 160
    return Console(width=width, stderr=stderr)


def billions(v: float) -> str:
    """Dollars as billions with two decimals; ``n/a`` for a missing value
    (:func:`model.cli.formats.money`)."""
    from .formats import money

    return money(v)


def file_label(path: str | Path) -> str:
    """A file as headers name it: its own name (``base.yaml``), never a generic word."""
    return Path(path).name


def display_name(loaded: Loaded) -> str:
    """A loaded file as tables name it: the scenario's name, or the assumptions file's
    own name when no scenario overlays it."""
    return loaded.scenario.name if loaded.scenario else file_label(loaded.base_file)


def source_text(loaded: Loaded) -> str:
    """What a command ran on, for headers: ``base.yaml``, or ``base.yaml with the
    scenario 'China blocks again'``."""
    base = file_label(loaded.base_file)
    return f"{base} with the scenario '{loaded.scenario.name}'" if loaded.scenario else base


def warn(loaded: Sequence[Loaded]) -> None:
    """Print, on standard error, every licence-policy and plausibility warning of these
    assumptions once; a warning that holds for only some scenarios names them."""
    from ..plausibility import plausibility_warnings

    seen: dict[str, list[str]] = {}
    for lo in loaded:
        for w in [*lo.warnings, *plausibility_warnings(lo.assumptions)]:
            seen.setdefault(w, []).append(display_name(lo))
    for w, names in seen.items():
        where = "" if len(names) == len(loaded) else f" (in {', '.join(names)})"
        print(f"warning: {w}{where}", file=sys.stderr)


def given_probabilities(loaded: Sequence[Loaded]) -> dict[str, float] | None:
    """The scenarios' own probabilities: all of them, or None when none gives one.

    Some with and some without is refused, naming each file without one.
    """
    given = [lo.scenario.probability if lo.scenario else None for lo in loaded]
    if any(p is None for p in given) and any(p is not None for p in given):
        raise InputError(
            [
                Problem(
                    lo.scenario.file,
                    "probability",
                    "is missing while other scenarios given have one (give all or none)",
                )
                for lo, p in zip(loaded, given, strict=True)
                if p is None and lo.scenario
            ]
        )
    probs = {lo.name: float(p) for lo, p in zip(loaded, given, strict=True) if p is not None}
    return probs or None
