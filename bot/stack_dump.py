"""`kill -USR1 <pid>`: write every thread's and every asyncio task's stack to stderr.

A server that does not stop, or stops answering, shows where it waits without a debugger
(the air-gapped intranet has none at hand). The test helper that runs `orgbot run` sends it
before it gives up on a stop.
"""

from __future__ import annotations

import asyncio
import faulthandler
import io
import signal
import sys


def install(loop: asyncio.AbstractEventLoop) -> None:
    if hasattr(signal, "SIGUSR1"):
        loop.add_signal_handler(signal.SIGUSR1, dump)


def dump() -> None:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        out.write(f"task {task.get_name()}: {task!r}\n")
        task.print_stack(limit=12, file=out)
    sys.stderr.write("--- asyncio tasks ---\n" + out.getvalue() + "--- threads ---\n")
    sys.stderr.flush()
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
