"""Signed acks under a flood of unsigned 1 MiB bodies: does checking the signature first keep real commands fast?

    python -m bench.slack_flood [--requests 200] [--flood 12] [--concurrency 4] [--warmup 20]

`rounds slack --http` runs as a real process against the Slack stand-in (testkit/standins/slack_standin.py) on
127.0.0.1. A second process keeps `--flood` unsigned 1 MiB bodies in flight the whole time (as soon as one is answered
the next goes): a third with no signature headers at all, a third with well-formed but wrong ones and a Content-Length,
a third with wrong ones sent in chunks with no Content-Length (so only reading can tell their size). Meanwhile this
process sends `--requests` real signed /qotd requests from distinct members and times each until its ack, which is
what Slack's 3-second clock measures. The same requests are timed first without the flood, for comparison.

Target (issue 8): p99 of the signed acks under the flood below 100 ms. The old adapter parsed each body twice before
checking its signature: 12 such bodies pushed the median to 1.1 s and the maximum to 5.3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector

from testkit.slack_process import slack_env, start_http
from testkit.standins.latency import LatencyStats
from testkit.standins.slack_standin import SlackStandIn, SlackUser

SECRET = "bench-flood-signing-secret"
ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
KINDS = ("no signature", "wrong signature", "wrong signature, chunked")


async def start(slack: SlackStandIn, db_path: str) -> tuple[asyncio.subprocess.Process, str]:
    """`rounds slack --http` on a free port, once its /healthz answers."""
    return await start_http(slack_env(slack, db_path, SECRET))


# ---------------------------------------------------------------------------------------------------- the flood


async def _chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start_at in range(0, len(body), size):
        yield body[start_at:start_at + size]


async def flood(url: str, senders: int) -> None:
    """Run in its own process (`--flood-only`), so the flood's own work cannot slow the measuring client: `senders`
    loops, each keeping one unsigned 1 MiB body in flight, until SIGTERM; then the answers it got, as JSON."""
    body = b"a=1&" * (MIB // 4)  # a form of 262,144 fields: the costliest to parse (the old adapter did, twice)
    fresh = str(int(time.time()))
    wrong = {"X-Slack-Request-Timestamp": fresh, "X-Slack-Signature": "v0=" + hashlib.sha256(b"not it").hexdigest()}
    outcomes: Counter[str] = Counter()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)

    async def sender(kind: str, http: ClientSession) -> None:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **({} if kind == KINDS[0] else wrong)}
        while not stop.is_set():
            data = _chunks(body) if kind == KINDS[2] else body
            try:
                async with http.post(url, data=data, headers=headers) as resp:
                    await resp.read()
                    outcomes[f"{kind}: HTTP {resp.status}"] += 1
            except (ClientError, OSError, TimeoutError):
                outcomes[f"{kind}: connection cut while sending"] += 1

    connector = TCPConnector(limit=0, force_close=True)
    async with ClientSession(connector=connector, timeout=ClientTimeout(total=30)) as http:
        await asyncio.gather(*(sender(KINDS[i % len(KINDS)], http) for i in range(senders)))
    print(json.dumps(outcomes))


# ---------------------------------------------------------------------------------------------------- the real requests


async def signed_acks(slack: SlackStandIn, url: str, users: list[str], concurrency: int) -> LatencyStats:
    """Signed /qotd requests from distinct members, `concurrency` at a time; the ack latency of each."""
    slack.reset()
    gate = asyncio.Semaphore(concurrency)

    async def one(user: str) -> None:
        async with gate:
            delivery = await slack.send_slash_command(url, secret=SECRET, command="/qotd", user_id=user)
            if delivery.status != 200:
                raise RuntimeError(f"a signed /qotd got HTTP {delivery.status}")

    await asyncio.gather(*(one(u) for u in users))
    return slack.latency_stats("http")


async def bench(requests: int, senders: int, concurrency: int, warmup: int) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):  # slack_sdk ignores NO_PROXY
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackStandIn() as slack:
            users = [slack.add_user(SlackUser(f"U{i:05d}", f"user{i}")).id for i in range(warmup + 2 * requests)]
            process, url = await start(slack, str(Path(tmp) / "flood.db"))
            try:
                await signed_acks(slack, url, users[:warmup], concurrency)  # auth.test, today's post, warm paths
                quiet = await signed_acks(slack, url, users[warmup:warmup + requests], concurrency)
                flooder = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.slack_flood", "--flood-only", url, "--flood", str(senders),
                    cwd=ROOT, stdout=asyncio.subprocess.PIPE)
                await asyncio.sleep(1.0)  # the flood is in full swing before the first measured request
                began = time.perf_counter()
                loud = await signed_acks(slack, url, users[warmup + requests:], concurrency)
                took = time.perf_counter() - began
                flooder.terminate()
                out, _ = await flooder.communicate()
            finally:
                process.terminate()
                await process.wait()
    outcomes = json.loads(out.decode() or "{}") if out else {}
    print(f"{requests} signed /qotd requests from distinct members, {concurrency} at a time, after {warmup} warm-up ones")
    print(f"without a flood:           {quiet.describe()}")
    print(f"with {senders} unsigned 1 MiB bodies in flight: {loud.describe()}  ({took:.1f} s)")
    if outcomes:
        print("the flood's answers so far: " + ", ".join(f"{k} x{v}" for k, v in sorted(outcomes.items())))
    verdict = "met" if loud.p99 < 0.100 else "MISSED"
    print(f"p99 of signed acks under the flood: {loud.p99 * 1000:.1f} ms (target < 100 ms: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured signed /qotd requests (default 200)")
    parser.add_argument("--flood", type=int, default=12, help="unsigned 1 MiB bodies kept in flight (default 12)")
    parser.add_argument("--concurrency", type=int, default=4, help="signed requests in flight at once (default 4)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured signed requests first (default 20)")
    parser.add_argument("--flood-only", metavar="URL", help=argparse.SUPPRESS)  # the flooding process
    args = parser.parse_args()
    if args.flood_only:
        asyncio.run(flood(args.flood_only, args.flood))
        return
    asyncio.run(bench(args.requests, args.flood, args.concurrency, args.warmup))


if __name__ == "__main__":
    main()
