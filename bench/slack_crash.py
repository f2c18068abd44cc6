"""Acknowledged and lost after SIGKILL: storms of distinct presses through `rounds slack --http`, killed mid-storm.

    python -m bench.slack_crash [--presses 5000] [--kills 10] [--seed 1]

`rounds slack --http` runs as a real process against the Slack stand-in (testkit/standins/slack_standin.py) on
127.0.0.1, on one database file throughout. First a signed /qotd makes today's post; then, `--kills` times, a storm
of distinct members' presses on it (all in flight at once) is cut short by a SIGKILL once a random share of them has
been acknowledged, and the process is started again on the same database. After the last round the process is left
to run the deliveries the kills interrupted (it waits out the dead processes' leases), and every press that never got
an answer is sent again, as a member would press again. Then sqlite3 counts the answers: every press that got HTTP
200 must be stored exactly once. The figure the issue asks for is the line "acknowledged and lost".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from testkit.slack_process import slack_env, start_http
from testkit.standins.slack_standin import SlackStandIn

SECRET = "bench-crash-signing-secret"


async def start(slack: SlackStandIn, db_path: str) -> tuple[asyncio.subprocess.Process, str]:
    """`rounds slack --http` on a free port, once its /healthz answers."""
    return await start_http(slack_env(slack, db_path, SECRET))


def query(db_path: str, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as db:
        return db.execute(sql).fetchall()


def stored(db_path: str) -> dict[str, int]:
    return {str(m): int(n) for m, n in query(db_path, "SELECT member_id, COUNT(*) FROM answers GROUP BY member_id")}


async def until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(what)
        await asyncio.sleep(0.2)
    return time.monotonic() - began


async def killed_storm(slack: SlackStandIn, process: asyncio.subprocess.Process, url: str,
                       presses: list[dict[str, Any]], kill_after: int) -> list[int | None]:
    """All presses at once; SIGKILL once `kill_after` of them got their 200."""
    acked = 0

    def count(status: int | None) -> None:
        nonlocal acked
        acked += status == 200
        if acked == kill_after and process.returncode is None:
            process.kill()

    statuses = await slack.storm(url, presses, secret=SECRET, on_answer=count, timeout=60)
    if process.returncode is None:
        process.kill()
    await process.wait()
    return statuses


async def bench(presses: int, kills: int, seed: int) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):  # slack_sdk ignores NO_PROXY
        os.environ.pop(name, None)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = str(Path(tmp) / "crash.db")
        async with SlackStandIn() as slack:
            process, url = await start(slack, db_path)
            asked = await slack.send_slash_command(url, secret=SECRET, command="/qotd")
            question = await slack.wait_for_response(slack.token_of(asked.sent["response_url"]))
            action_id = next(e["action_id"] for b in question.get("blocks") if b["type"] == "actions" for e in b["elements"])
            users = [f"U{i:06d}" for i in range(presses)]
            payloads = {u: slack.block_actions_payload(action_id, value=action_id, user_id=u, ephemeral=True) for u in users}
            acknowledged: set[str] = set()
            unanswered: list[str] = []
            unhandled_at_kill = 0
            began = time.perf_counter()
            for round_users in (users[k::kills] for k in range(kills)):
                kill_after = max(1, int(len(round_users) * rng.uniform(0.2, 0.8)))
                statuses = await killed_storm(slack, process, url, [payloads[u] for u in round_users], kill_after)
                round_acked = {u for u, s in zip(round_users, statuses, strict=True) if s == 200}
                unanswered += [u for u, s in zip(round_users, statuses, strict=True) if s != 200]
                acknowledged |= round_acked
                unhandled_at_kill += len({f"slack:{u}" for u in round_acked} - set(stored(db_path)))
                process, url = await start(slack, db_path)
            replayed_in = await until(
                lambda: query(db_path, "SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL") == [(0,)], 120,
                "the restarted process never finished the interrupted deliveries")
            after_replay = stored(db_path)
            again = await slack.storm(url, [payloads[u] for u in unanswered], secret=SECRET, timeout=120)
            await until(lambda: len(stored(db_path)) >= presses and query(
                db_path, "SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL") == [(0,)], 120,
                "the re-sent presses were not all stored")
            final = stored(db_path)
            outcomes = dict(query(db_path, "SELECT outcome, COUNT(*) FROM deliveries GROUP BY outcome"))
            process.terminate()
            await process.wait()
            took = time.perf_counter() - began

    lost = {f"slack:{u}" for u in acknowledged} - set(after_replay)
    duplicates = sum(1 for n in final.values() if n != 1)
    print(f"{presses} distinct presses in {kills} storms, each cut short by SIGKILL ({took:.1f} s in all)")
    print(f"acknowledged (HTTP 200) before a kill: {len(acknowledged)}; not yet handled when the kill came: {unhandled_at_kill}")
    print(f"run again after restarts (replay took {replayed_in:.1f} s, leases included); deliveries by outcome: {outcomes}")
    print(f"no answer before a kill: {len(unanswered)}; sent again: {again.count(200)} of {len(again)} got HTTP 200")
    print(f"stored in the end: {len(final)} members, {duplicates} stored more than once")
    print(f"acknowledged and lost: {len(lost)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--presses", type=int, default=5000, help="distinct presses in all (default 5000)")
    parser.add_argument("--kills", type=int, default=10, help="storms, each ended by a SIGKILL (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="where in each storm the kill lands (default 1)")
    args = parser.parse_args()
    asyncio.run(bench(args.presses, args.kills, args.seed))


if __name__ == "__main__":
    main()
