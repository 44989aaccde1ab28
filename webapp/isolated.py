"""Run a piece of untrusted work (reading an uploaded file) in its own process, with a
time limit, so that a large or hostile upload never slows the other sessions of the
server: Python threads share one interpreter lock, processes do not.

Children come from a fork server that has imported the app's modules once, so a child
starts in milliseconds; one still running at its deadline is killed.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")
PRELOAD = ["webapp.uploads"]  # what the fork server imports once for its children


class WorkTimeoutError(Exception):
    """The work did not finish within its time limit (its process was killed)."""


class WorkFailedError(Exception):
    """The work raised an unexpected exception in its process (the text says which)."""


@lru_cache(maxsize=1)
def _context() -> Any:
    """The fork server context, started on first use with the reader preloaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run the work in the child and send back its result or its failure."""
    try:
        conn.send(("ok", fn(*args)))
    except Exception:  # reported to the parent, which decides what people see
        conn.send(("failed", traceback.format_exc(limit=3)))
    finally:
        conn.close()


def run_isolated(fn: Callable[..., T], *args: Any, timeout: float) -> T:
    """``fn(*args)`` in a child process; its result, or WorkTimeoutError after ``timeout``
    seconds (the child is killed), or WorkFailedError if it raised. ``fn`` must be a
    module-level function and its arguments and result picklable."""
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise WorkTimeoutError(f"no result within {timeout:g} s")
        try:
            status, value = receive.recv()
        except EOFError:  # the child died without an answer (killed, out of memory)
            raise WorkFailedError(
                f"the reading process ended (exit code {proc.exitcode})"
            ) from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        receive.close()
    if status != "ok":
        raise WorkFailedError(value)
    return value
