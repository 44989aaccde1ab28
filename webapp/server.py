"""Serve the app (``streamlit run app.py``) on a free localhost port, from a checkout.

Used by the browser tests and the app benchmark. The server runs in its own process
group and is always stopped, by its own id, when the ``with`` block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: The folder holding ``app.py`` (the checkout's root).
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running app server: its address, process and log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    started: float  # perf_counter when the process was launched

    def output(self) -> str:
        """The end of the server's log."""
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def streamlit_server(timeout: float = 30.0) -> Iterator[Server]:
    """The app served on a free port; waits for the health check, always stops it."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "streamlit.log"
        with log.open("wb") as sink:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    "app.py",
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--browser.gatherUsageStats",
                    "false",
                    "--server.fileWatcherType",
                    "none",
                ],
                cwd=ROOT,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            server = Server(f"http://127.0.0.1:{port}/", proc, log, started)
            try:
                _wait_healthy(server, timeout)
                yield server
            finally:
                _stop(proc)


def _wait_healthy(server: Server, timeout: float) -> None:
    """Wait for the server's health check, or raise with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"streamlit did not answer within {timeout:g} s:\n{server.output()}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group, by its own id."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
