"""Ack latency of `/qotd` on Discord: the real discord.py client of Rounds against the local Discord stand-in.

    python -m bench.discord_ack [--n 300] [--members 100] [--rate 0]

Sends N `/qotd` interactions from many members (all at once with --rate 0, else that many a second) and reads
each ack latency as the stand-in measured it: from INTERACTION_CREATE leaving the stand-in to the first callback
arriving. The stand-in runs in the same process and event loop as the bot, so its own work (JSON, websocket
frames, recording calls) is included: the figures are an upper bound for the bot on this machine. One /qotd is
sent first and not counted: the day's first /qotd claims the question, as the scheduled post normally has.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bots.discord.client import Sync
from testkit.discord_harness import running_bot
from testkit.standins.discord_standin import DiscordStandIn, UserSpec
from testkit.standins.latency import LatencyStats


async def bench(n: int, members: int, rate: float) -> int:
    users = [UserSpec(1300000000000000000 + i, f"member{i}", f"Member {i}") for i in range(members)]
    with tempfile.TemporaryDirectory() as tmp:
        async with DiscordStandIn() as standin:
            with standin.patch_discord():
                async with running_bot(standin, str(Path(tmp) / "bench.db"), sync=Sync("off")):
                    # Warm-up: the day's first /qotd claims the question (the scheduled post usually has).
                    warm = await standin.send_interaction(standin.slash_command("qotd", user=users[0]))
                    await standin.wait_for_callback(warm["id"])
                    ids: list[str] = []
                    started = time.monotonic()
                    for i in range(n):
                        if rate > 0:
                            await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
                        payload = standin.slash_command("qotd", user=users[i % members])
                        await standin.send_interaction(payload)
                        ids.append(str(payload["id"]))
                    deadline = time.monotonic() + 10
                    records = [standin.interactions[i] for i in ids]
                    while time.monotonic() < deadline and any(r.acked_at is None for r in records):
                        await asyncio.sleep(0.01)
                    finished = max((r.acked_at for r in records if r.acked_at is not None), default=started)
                    latencies = [lat for i in ids if (lat := standin.ack_latency(i)) is not None]
                    failed = n - len(latencies)
    if not latencies:
        print("no interaction was acknowledged")
        return 1
    stats = LatencyStats.from_samples(latencies)
    print(f"/qotd x {n} from {members} members, {'burst' if rate <= 0 else f'{rate:g}/s'}: "
          f"ack {stats.describe()}; "
          f"{len(latencies) / max(finished - started, 1e-9):.0f} interactions/s; "
          f"{failed} not acknowledged within Discord's 3 s")
    return 0 if failed == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="interactions to send (default 300)")
    parser.add_argument("--members", type=int, default=100, help="distinct members sending them (default 100)")
    parser.add_argument("--rate", type=float, default=0, help="interactions a second; 0 sends them all at once")
    args = parser.parse_args()
    return asyncio.run(bench(args.n, args.members, args.rate))


if __name__ == "__main__":
    raise SystemExit(main())
