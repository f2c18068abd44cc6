"""Inbound deliveries claimed once. Platforms redeliver (Slack's `X-Slack-Retry-Num`, a Socket Mode retry, a
reconnect): the adapter claims each delivery by a key unique to it before acting, and a repeat finds the key taken.

Claims arriving together share one transaction (group commit), so claiming costs a burst of deliveries a handful of
commits. Keys are namespaced by the adapter ('slack:T123:<trigger id>'); rows older than a day are pruned, long
after any platform stops retrying.
"""

from __future__ import annotations

from datetime import timedelta

from core.clock import Clock, iso
from core.storage.database import Database, GroupCommit

KEEP = timedelta(days=1)
MAX_KEY = 200
MAX_BATCH = 400  # two bound parameters a key: well under SQLite's 32,766


class Deliveries:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._claims: GroupCommit[str, bool] = GroupCommit(self._write, max_batch=MAX_BATCH)

    async def claim(self, key: str) -> bool:
        """True for the first claim of `key`, False for every repeat (across processes and restarts)."""
        return await self._claims.submit(key[:MAX_KEY])

    async def _write(self, keys: list[str]) -> list[bool]:
        unique = list(dict.fromkeys(keys))
        at = iso(self._clock.now())
        async with self._db.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"INSERT INTO deliveries (key, received_at) VALUES {', '.join(['(?, ?)'] * len(unique))} "
                "ON CONFLICT (key) DO NOTHING RETURNING key", [v for key in unique for v in (key, at)])
        fresh = {row[0] for row in rows}
        results = []
        for key in keys:  # the same key twice in one batch: only its first claim wins
            results.append(key in fresh)
            fresh.discard(key)
        return results

    async def prune(self, keep: timedelta = KEEP) -> int:
        """Forget claims older than `keep`; returns how many were dropped."""
        return await self._db.execute("DELETE FROM deliveries WHERE received_at < ?", (iso(self._clock.now() - keep),))
