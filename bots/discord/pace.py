"""A pre-emptive limit on how fast the Discord notifier sends REST requests.

Why: discord.py paces each route by the `X-RateLimit-*` headers Discord sends, but Discord's global limit (50
requests a second a bot) it meets only after the fact: a global 429 makes it wait `retry_after` and retry, and a
burst of reminders costs a round of refusals (which Discord counts against the bot) and retries, each of which may be
refused again. So the notifier takes a token here before each request it makes.

The bucket is GCRA-shaped: a `take` computes its slot (the next free one, or now when `burst` tokens are saved up)
and sleeps until it, holding a lock, so callers are served in order and none wakes up to find the token gone. The
next caller computes its slot only once the one before has woken: if the event loop stalls (a long GC, a busy
machine), what waited does not pour out at once when it resumes, at most `burst` requests do. With the defaults any
one second sees at most 45 + 5 = 50 requests, Discord's limit, however Discord counts its second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

DEFAULT_RATE = 45.0  # requests a second: under Discord's global 50 with a margin for the bot's other calls
DEFAULT_BURST = 5


class Pacer:
    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a pacer needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._free_at = -math.inf  # the earliest moment the next slot can be had, bursts aside
        self._turn = asyncio.Lock()  # FIFO: one caller at a time computes its slot and waits for it
        self.taken = 0  # tokens handed out: what went out through this pacer

    async def take(self) -> None:
        """Wait for this request's slot. A caller cancelled while waiting leaves its slot unused (harmless: the
        rate only drops)."""
        async with self._turn:
            now = self._clock()
            slot = max(self._free_at, now - (self.burst - 1) * self._interval)
            self._free_at = slot + self._interval
            self.taken += 1
            if slot > now:
                await self._sleep(slot - now)
