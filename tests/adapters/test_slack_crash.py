"""Nothing acknowledged is lost: `rounds slack --http` as a real process, SIGKILLed in the middle of a storm of
distinct presses, restarted on the same database, must end with every press that got HTTP 200 stored exactly once;
the presses that got no answer, sent again (as a member would press again), are then stored once each.

This is the reduced size (a few hundred presses, one kill) that runs in the default suite; the full size is
`python -m bench.slack_crash --presses 5000 --kills 10`, which prints "acknowledged and lost: N".
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from testkit.slack_process import start_http
from testkit.standins.slack_standin import SlackStandIn
from tests.adapters.test_slack_adapter import (  # noqa: F401  (fixture: no proxy for 127.0.0.1)
    SECRET,
    _no_proxy_env,
    _process_env,
    _stop,
    buttons,
)

PRESSES = 300
KILL_AFTER = PRESSES // 4  # acknowledgements seen before the SIGKILL: the rest are in flight or in the work
REPLAY_TIMEOUT = 25.0  # the restarted process waits out the dead one's leases (10 s) before running its deliveries


async def start(slack: SlackStandIn, tmp_path: Path) -> tuple[asyncio.subprocess.Process, str]:
    env = _process_env(slack, tmp_path, SLACK_SIGNING_SECRET=SECRET, ROUNDS_HTTP_HOST="127.0.0.1")
    return await start_http(env, timeout=10, stderr=asyncio.subprocess.PIPE)


def query(db_path: str, sql: str) -> list[tuple[object, ...]]:
    """Read the database the way an operator would, with sqlite3, beside (or after) the process."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as db:
        return db.execute(sql).fetchall()


def stored_members(db_path: str) -> dict[str, int]:
    return {str(member): int(n) for member, n in query(db_path, "SELECT member_id, COUNT(*) FROM answers GROUP BY member_id")}


async def until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_every_acknowledged_press_is_stored_once_after_a_sigkill_mid_storm(tmp_path: Path) -> None:
    db_path = str(tmp_path / "process.db")
    users = [f"U{i:05d}" for i in range(PRESSES)]
    async with SlackStandIn() as slack:
        process, url = await start(slack, tmp_path)
        try:
            asked = await slack.send_slash_command(url, secret=SECRET, command="/qotd")
            question = await slack.wait_for_response(slack.token_of(asked.sent["response_url"]))
            action_id = buttons(question)[0]["action_id"]
            presses = [slack.block_actions_payload(action_id, value=action_id, user_id=u, ephemeral=True) for u in users]
            acked = 0

            def kill_mid_storm(status: int | None) -> None:
                nonlocal acked
                acked += status == 200
                if acked == KILL_AFTER:
                    process.kill()

            statuses = await slack.storm(url, presses, secret=SECRET, on_answer=kill_mid_storm)
            await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

        acknowledged = {f"slack:{u}" for u, status in zip(users, statuses, strict=True) if status == 200}
        unanswered = [p for p, status in zip(presses, statuses, strict=True) if status != 200]
        assert KILL_AFTER <= len(acknowledged) < PRESSES and unanswered, "the kill did not land mid-storm"
        unhandled_at_kill = acknowledged - set(stored_members(db_path))  # the old code lost these for good

        process, url = await start(slack, tmp_path)
        try:
            await until(lambda: query(db_path, "SELECT COUNT(*) FROM deliveries WHERE done_at IS NULL") == [(0,)],
                        REPLAY_TIMEOUT)
            after_replay = stored_members(db_path)
            again = await slack.storm(url, unanswered, secret=SECRET)
            await until(lambda: len(stored_members(db_path)) >= PRESSES, 10)
            await asyncio.sleep(0.2)  # a (wrongly) repeated write would show up by now
            final = stored_members(db_path)
        finally:
            stderr = await _stop(process)

    lost = acknowledged - set(after_replay)
    assert not lost, f"acknowledged and lost: {len(lost)} (of {len(acknowledged)}; {len(unhandled_at_kill)} unhandled at the kill)"
    assert set(after_replay.values()) == {1}
    assert again == [200] * len(unanswered)
    assert final == dict.fromkeys((f"slack:{u}" for u in users), 1)
    assert "Traceback" not in stderr, stderr[-2000:]
