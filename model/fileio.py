"""The output gate: every file the project writes leaves through here.

- An output is checked before any work (:func:`check_output`): its folder exists and
  is writable, it is not a folder, and it is none of the command's input files (same
  real path, or the same file through ``../``, a symbolic link or a hard link).
- ``-`` means standard output.
- A regular file is written to a temporary file beside it and renamed over it, so a
  failed run never leaves a half-written file and never touches an existing one. The
  new file gets the mode of the file it replaces, or ``0o666`` less the umask.
- Anything that is not a regular file (``/dev/null``, ``/dev/stdout``, a named pipe)
  is written directly and never replaced; a pipe nobody reads is refused rather than
  waited for.
- :func:`neutralise_cell` keeps text cells of a CSV file from being read as formulas.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .gate import InputError, Problem, files_read

#: The output name that means standard output.
STDOUT = "-"
#: Names that stand for a process's open files (``/dev/stderr``, ``/dev/fd/3``): written,
#: never replaced, even when what they stand for is a regular file.
_PROCESS_NAMES = ("/proc/", "/dev/fd/", "/dev/stdin", "/dev/stderr")
#: Names of this process's standard output.
_STDOUT_NAMES = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")


@dataclass(frozen=True)
class Output:
    """A checked output destination (see :func:`check_output`)."""

    given: str
    option: str
    kind: Literal["stdout", "device", "file"]
    path: Path | None = None
    inputs: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return "standard output" if self.kind == "stdout" else self.given

    @property
    def is_stdout(self) -> bool:
        return self.kind == "stdout"


def _refuse(given: str, option: str, rule: str) -> InputError:
    return InputError([Problem(given, option, rule)])


def _same_file(output: str, inputs: Iterable[str | Path]) -> str | None:
    """The input that ``output`` would overwrite, if any (also any file read so far)."""
    try:
        out_stat = os.stat(output)
    except OSError:
        out_stat = None
    if out_stat is not None:
        key = (out_stat.st_dev, out_stat.st_ino)
        for name, ident in files_read().items():
            if ident == key and stat.S_ISREG(out_stat.st_mode):
                return name
    out_real = os.path.realpath(output)
    for inp in inputs:
        name = str(inp)
        if not name or name == STDOUT:
            continue
        if os.path.realpath(name) == out_real:
            return name
        with contextlib.suppress(OSError):
            st = os.stat(name)
            if out_stat is not None and (st.st_dev, st.st_ino) == (
                out_stat.st_dev,
                out_stat.st_ino,
            ):
                return name
    return None


def _is_system(given: str) -> bool:
    """A name for an open file of a process, as written or once links are followed."""
    return any(
        p.startswith(_PROCESS_NAMES) for p in (os.path.abspath(given), os.path.realpath(given))
    )


def check_output(
    value: str,
    option: str,
    inputs: Iterable[str | Path] = (),
    suffixes: tuple[str, ...] = (),
) -> Output:
    """Check an output destination before any work is done.

    Parameters
    ----------
    value
        The path as the user gave it, or ``-`` for standard output.
    option
        The option that named it (``--csv``), for messages.
    inputs
        Every file the command reads: the output may be none of them.
    suffixes
        Accepted file name endings (``.xlsx``), checked for files only.

    Raises
    ------
    InputError
        Naming the output, the option and the rule it breaks.
    """
    ins = tuple(str(i) for i in inputs if i is not None)
    if value == STDOUT or os.path.abspath(value) in _STDOUT_NAMES:
        return Output(value, option, "stdout", None, ins)
    if not value:
        raise _refuse(value, option, "is empty: give a file name, or - for standard output")
    same = _same_file(value, ins)
    if same is not None:
        raise _refuse(
            value,
            option,
            f"is the input file {same}: writing it would destroy the input; "
            "choose another output file",
        )
    try:
        st: os.stat_result | None = os.stat(value)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _refuse(value, option, f"cannot be used ({exc.strerror})") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _refuse(value, option, "is a directory, not a file")
    if (st is not None and not stat.S_ISREG(st.st_mode)) or _is_system(value):
        return Output(value, option, "device", Path(value), ins)
    if suffixes and Path(value).suffix.lower() not in suffixes:
        raise _refuse(value, option, f"must end in {' or '.join(suffixes)}")
    real = Path(os.path.realpath(value))
    folder = real.parent
    if not folder.is_dir():
        raise _refuse(value, option, f"folder {Path(value).parent} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _refuse(
            value, option, f"folder {Path(value).parent} is not writable (permission denied)"
        )
    return Output(value, option, "file", real, ins)


def current_umask() -> int:
    """The process umask, read without changing it (threads may be creating files)."""
    with (
        contextlib.suppress(OSError, ValueError),
        open("/proc/self/status", encoding="ascii", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    old = os.umask(0o022)
    os.umask(old)
    return old


def _write_file(path: Path, data: bytes) -> None:
    """Temporary file beside ``path``, then a rename; mode of the file replaced, or umask."""
    _write_file_chunks(path, (data,))


def _write_file_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """:func:`_write_file` for data that arrives in pieces: each piece goes into the
    temporary file as it comes, and the file is renamed over ``path`` only once the
    last one is written. Whatever stops it (a full disk, an error while the pieces are
    made, an interrupt) removes the temporary file and leaves ``path`` as it was."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~current_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_OPEN_FD = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")


def _open_fd(path: str) -> int | None:
    """The descriptor a name such as ``/dev/stderr`` or ``/dev/fd/3`` stands for, if any."""
    spelled = os.path.abspath(path)
    if spelled == "/dev/stderr":
        return 2
    m = _OPEN_FD.match(spelled)
    return int(m.group(1)) if m else None


def _write_fd(fd: int, data: bytes) -> None:
    """Write to a descriptor this process holds, after what it wrote there before."""
    if fd in (1, 2):
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
        if getattr(stream, "buffer", None) is None or stream.fileno() != fd:
            stream.write(data.decode("utf-8"))  # a captured stream (tests)
            stream.flush()
            return
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_device(path: str, data: bytes) -> None:
    """Write straight into a device or pipe; a pipe without a reader is refused, not waited on.

    A regular file reached through a process's name for it (``/dev/fd/3``) is appended
    to, as writing to the open file would: what the process wrote before stays.
    """
    held = _open_fd(path)
    if held is not None:  # the same open file, so its offset is shared
        _write_fd(held, data)
        return
    flags = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)
    if _is_regular(path):
        flags |= os.O_APPEND
    fd = os.open(path, flags)
    try:
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _mode_or_zero(path: str) -> int:
    try:
        return os.stat(path).st_mode
    except OSError:
        return 0


def _is_regular(path: str) -> bool:
    return stat.S_ISREG(_mode_or_zero(path))


def _write_stdout(data: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stream (tests capture standard output this way)
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    sys.stdout.flush()
    stream.write(data)
    stream.flush()


def write_output(
    target: Output | str,
    data: bytes | str,
    inputs: Iterable[str | Path] = (),
    option: str = "output",
) -> None:
    """Write ``data`` (text is UTF-8) to a destination, by the rules of this module.

    ``target`` is an :class:`Output` from :func:`check_output` (checked again here,
    against its inputs), or a path or ``-`` to check now against ``inputs``.
    Every failure is an :class:`InputError` naming the output; an existing file is
    left as it was.
    """
    write_output_chunks(target, (data,), inputs, option)


def write_output_chunks(
    target: Output | str,
    chunks: Iterable[bytes | str],
    inputs: Iterable[str | Path] = (),
    option: str = "output",
) -> None:
    """:func:`write_output` for data made piece by piece (text is UTF-8), so a large
    output is never held whole in memory when it goes to a file.

    A file gets each piece in its temporary file as the piece is made, and is replaced
    only after the last one: an error while the pieces are made (it propagates as it
    is) or while writing leaves an existing file as it was and no temporary file.
    Standard output, devices and pipes get the pieces joined once all are made, so they
    too receive nothing from a run that fails.
    """
    if isinstance(target, Output):
        out = check_output(target.given, target.option, (*target.inputs, *map(str, inputs)))
    else:
        out = check_output(target, option, inputs)
    encoded = (c.encode("utf-8") if isinstance(c, str) else c for c in chunks)
    try:
        if out.kind == "file":
            assert out.path is not None
            _write_file_chunks(out.path, encoded)
            return
        raw = b"".join(encoded)
        if out.kind == "stdout":
            _write_stdout(raw)
        else:
            _write_device(out.given, raw)
    except OSError as exc:
        raise _refuse(out.given, out.option, _write_problem(exc, out)) from None


def _write_problem(exc: OSError, out: Output) -> str:
    if exc.errno == errno.ENXIO and out.kind == "device":
        return "is a pipe that nobody reads: nothing was written"
    if isinstance(exc, PermissionError):
        return "could not be written: permission denied"
    return f"could not be written ({exc.strerror or type(exc).__name__})"


def atomic_write_bytes(path: str | Path | Output, data: bytes) -> None:
    """Write bytes through the output gate (kept for existing callers)."""
    write_output(path if isinstance(path, Output) else str(path), data)


def atomic_write_text(path: str | Path | Output, text: str) -> None:
    """Write UTF-8 text through the output gate (kept for existing callers)."""
    write_output(path if isinstance(path, Output) else str(path), text)


def distinct_outputs(*outputs: Output | None) -> None:
    """Refuse two outputs of one command that are the same file (one would be lost)."""
    seen: dict[str, Output] = {}
    for out in outputs:
        if out is None or out.kind == "device":
            continue
        key = STDOUT if out.kind == "stdout" else str(out.path)
        if key in seen:
            first = seen[key]
            raise _refuse(
                out.given,
                out.option,
                f"is the same file as {first.option} {first.given}: give each output its own file",
            )
        seen[key] = out


# ---------------------------------------------------------------- cell text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet will never take for a formula (OWASP's rule).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'``. Numbers are returned unchanged, and so is text that is a plain
    decimal number (``-5``, ``+1.5e3``): a negative number stays a number.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


# ---------------------------------------------------------------- JSON


def json_text(data: Any) -> str:
    """JSON with NaN and infinities as null and numpy scalars as plain numbers."""
    return json.dumps(_plain(data), indent=2, allow_nan=False) + "\n"


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
