"""Admission to the heavy part of a run: the sidebar's widgets and the open tab.

The server runs every session's script in its own thread, and Python runs one thread
at a time. When twenty sessions open at once, twenty threads building their pages
would also starve the thread that sends the pages out, so no one would see anything
until everyone was done. Each run therefore draws its headline figures first, then
waits here for one of :data:`SLOTS` places to draw the rest: the figures of every
session go out at once, and the pages follow one after another.

Before it asks for a place, a run pauses for :data:`HEAD_START` seconds. A run holds
the interpreter while it draws, and the thread that sends messages to the browsers
needs it too: without the pause, the figures of a moved lever would wait in the queue
behind the sidebar's hundred-odd widgets, and the browser would draw them last.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: Runs drawing their sidebar and tab at the same time (the server has 2 cores).
SLOTS = 2
#: Seconds the figures get to leave before the rest of the page is drawn (the server
#: sends queued messages every 5 ms).
HEAD_START = 0.015
_slots = threading.BoundedSemaphore(SLOTS)


@contextmanager
def heavy_part() -> Iterator[None]:
    """Hold one of the places for the heavy part of a run (always given back), after a
    head start for the messages already queued."""
    time.sleep(HEAD_START)
    with _slots:
        yield
