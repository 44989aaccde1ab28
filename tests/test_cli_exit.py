"""How the command line leaves its process (:func:`model.cli.leave`): the status, the
exit handlers and the standard streams as at a normal exit, without the interpreter's
slow teardown of every module."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from model.shipped import BASE


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_status_exit_handlers_and_buffered_output_survive() -> None:
    done = python(
        """
        import atexit, sys
        from model.cli import leave
        atexit.register(lambda: print("handler ran"))
        print("buffered", end=" ")
        print("to stderr", file=sys.stderr, end="")
        leave(3)
        print("never")
        """
    )
    assert done.returncode == 3
    assert done.stdout == "buffered handler ran\n"
    assert done.stderr == "to stderr"


def test_a_running_thread_is_waited_for() -> None:
    done = python(
        """
        import threading, time
        from model.cli import leave
        def late():
            time.sleep(0.3)
            print("thread finished")
        threading.Thread(target=late).start()
        leave(0)
        """
    )
    assert done.returncode == 0
    assert done.stdout == "thread finished\n"


def test_commands_keep_their_exit_status() -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "model", "validate", str(BASE)], capture_output=True, text=True
    )
    assert ok.returncode == 0 and ok.stdout.startswith("ok: ")
    bad = subprocess.run(
        [sys.executable, "-m", "model", "validate", "no-such-file.yaml"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: no-such-file.yaml: file not found"
