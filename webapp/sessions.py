"""Open app sessions without a browser: Streamlit's own websocket protocol, spoken by a
small client, so a test or a benchmark can run many sessions at once on a served app
(see :mod:`webapp.server`) and read each one's headline figures.

A session connects to ``/_stcore/stream``, asks for a run of the script with a page
address (``BackMsg.rerun_script`` carrying the query string) and collects the
``ForwardMsg`` deltas until the run finishes; the metrics are read from the deltas.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.typing import Subprotocol

STREAM = "_stcore/stream"
ERROR, WARNING = Alert.Format.ERROR, Alert.Format.WARNING


@dataclass
class SessionRun:
    """What one session saw: its metrics (label -> value text), alerts and timings."""

    query: dict[str, str]
    metrics: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    first_metric_s: float | None = None  # from the request to the first headline figure
    finished_s: float | None = None  # from the request to the end of the run
    status: int | None = None  # the script_finished status


def _ws_url(url: str) -> str:
    """The websocket address of the app served at ``url``."""
    parts = urlsplit(url)
    return f"ws://{parts.netloc}{parts.path.rstrip('/')}/{STREAM}"


def _request(query: dict[str, str]) -> bytes:
    """The message that asks for a run of the script with a page address."""
    msg = BackMsg()
    msg.rerun_script.query_string = urlencode(query)
    msg.rerun_script.page_script_hash = ""
    return msg.SerializeToString()


def _read(msg: ForwardMsg, run: SessionRun, started: float) -> bool:
    """Record one message; True when the run has finished."""
    kind = msg.WhichOneof("type")
    if kind == "script_finished":
        run.status = int(msg.script_finished)
        run.finished_s = time.perf_counter() - started
        return True
    if kind != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return False
    element = msg.delta.new_element
    which = element.WhichOneof("type")
    if which == "metric":
        run.metrics.setdefault(element.metric.label, element.metric.body)
        if run.first_metric_s is None:
            run.first_metric_s = time.perf_counter() - started
    elif which == "alert":
        kinds = {ERROR: run.errors, WARNING: run.warnings}
        kinds.get(element.alert.format, run.notes).append(element.alert.body)
    elif which == "exception":
        run.exceptions.append(element.exception.message)
    return False


async def open_session(url: str, query: dict[str, str], timeout: float = 120.0) -> SessionRun:
    """One session of the app at ``url`` opened with the page address ``query``."""
    run = SessionRun(dict(query))
    async with websockets.connect(
        _ws_url(url), subprotocols=[Subprotocol("streamlit")], max_size=None, open_timeout=timeout
    ) as ws:
        started = time.perf_counter()
        await ws.send(_request(query))
        async with asyncio.timeout(timeout):
            while True:
                data = await ws.recv()
                msg = ForwardMsg()
                msg.ParseFromString(data if isinstance(data, bytes) else data.encode())
                if _read(msg, run, started):
                    break
    return run


async def _many(url: str, queries: Sequence[dict[str, str]], timeout: float) -> list[SessionRun]:
    return list(await asyncio.gather(*(open_session(url, q, timeout) for q in queries)))


def open_sessions(
    url: str, queries: Sequence[dict[str, str]], timeout: float = 180.0
) -> list[SessionRun]:
    """Open one session per page address, all at once, and wait for every first run."""
    return asyncio.run(_many(url, queries, timeout))
