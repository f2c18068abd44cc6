"""A clean stop on SIGTERM and SIGINT, for every long-running adapter: one place knows how to install it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable


def on_stop(callback: Callable[[], object]) -> None:
    """Call `callback` (in the running loop) when the process is asked to stop. Where the platform has no signal
    handlers, Ctrl-C still ends the process."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, callback)
