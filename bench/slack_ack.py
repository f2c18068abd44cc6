"""Slack ack latency: signed `/qotd` requests from many users to the real bolt app (HTTP mode), in one process.

    python -m bench.slack_ack [--n 300] [--concurrency 10] [--warmup 20]

The Slack stand-in (tests/standins/slack_standin.py) sends each request signed, as Slack does, and times it until
bolt's answer (the ack) is read: that is what Slack's 3-second clock measures. The replies themselves go to the
stand-in's response_url afterwards; the run waits for all of them and reports how long they took too. Figures vary
on shared machines; bolt polls for the ack every 10 ms, which sets the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from bots.slack.app import EVENTS_PATH, SlackConfig, create_adapter
from core.settings import Settings
from testkit.standins.slack_standin import (
    LatencyStats,
    SlackStandIn,
    SlackUser,
    serve_web_app,
)

SECRET = "bench-signing-secret"


async def bench(n: int, concurrency: int, warmup: int) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):  # slack_sdk ignores NO_PROXY
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as tmp:
        async with SlackStandIn() as slack:
            users = [slack.add_user(SlackUser(f"U{i:05d}", f"user{i}")) for i in range(max(n, warmup))]
            config = SlackConfig(bot_token="xoxb-bench", signing_secret=SECRET, api_url=slack.api_url)
            adapter = await create_adapter(Settings(db_path=str(Path(tmp) / "bench.db")), config)
            try:
                async with serve_web_app(adapter.web_app()) as base:
                    url = base + EVENTS_PATH
                    for i in range(warmup):  # auth.test, the day's question, connection pools, code paths
                        await slack.send_slash_command(url, secret=SECRET, command="/qotd", user_id=users[i].id)
                    await _replies(slack, warmup)
                    slack.reset()

                    gate = asyncio.Semaphore(concurrency)
                    sent: dict[str, float] = {}

                    async def one(i: int) -> None:
                        async with gate:
                            payload = slack.slash_command_payload("/qotd", "", user_id=users[i].id)
                            sent[slack.token_of(payload["response_url"])] = time.monotonic()
                            delivery = await slack.send_slash_command(
                                url, secret=SECRET, command="/qotd", user_id=users[i].id,
                                response_url=payload["response_url"], trigger_id=payload["trigger_id"])
                            if delivery.status != 200:
                                raise RuntimeError(f"request {i} got HTTP {delivery.status}")

                    began = time.perf_counter()
                    await asyncio.gather(*(one(i) for i in range(n)))
                    acked = time.perf_counter() - began
                    replies = await _replies(slack, n)
                    done = time.perf_counter() - began
            finally:
                await adapter.close()

    stats = slack.latency_stats("http")
    reply_times = sorted(r.at - sent[r.response_token] for r in replies if r.response_token in sent)
    reply_stats = LatencyStats.from_samples(reply_times)
    print(f"{n} signed /qotd requests from {n} users, {concurrency} in flight, after {warmup} warm-up requests")
    print(f"ack latency    median {stats.median * 1000:6.1f} ms   p99 {stats.p99 * 1000:6.1f} ms   "
          f"max {stats.max * 1000:6.1f} ms   ({stats.count} acks, all HTTP 200)")
    print(f"reply arrival  median {reply_stats.median * 1000:6.1f} ms   p99 {reply_stats.p99 * 1000:6.1f} ms   "
          f"(request sent → ephemeral reply at the response_url)")
    print(f"rate           {n / acked:6.0f} acks/s; all {len(replies)} replies delivered in {done:.2f} s "
          f"({len(replies) / done:.0f}/s); mean ack {statistics.mean(slack.ack_latencies('http')) * 1000:.1f} ms")


async def _replies(slack: SlackStandIn, count: int, timeout: float = 60.0) -> list:
    deadline = time.monotonic() + timeout
    while len(slack.responses()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(slack.responses())} of {count} replies arrived")
        await asyncio.sleep(0.01)
    return slack.responses()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="measured requests (default 300)")
    parser.add_argument("--concurrency", type=int, default=10, help="requests in flight at once (default 10)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests first (default 20)")
    args = parser.parse_args()
    asyncio.run(bench(args.n, args.concurrency, args.warmup))


if __name__ == "__main__":
    main()
