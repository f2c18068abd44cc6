"""Acknowledge only what is stored, through the REAL bolt app against the Slack stand-in: each delivery is recorded in
the inbox before its ack, marked done after its work, and run again at start-up when a stop came between (while its
response_url still takes a reply). The SIGKILL test of a real process is tests/adapters/test_slack_crash.py.
"""
# ruff: noqa: F811  (the rig fixture is imported from test_slack_adapter and named by the tests that use it)

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bots.slack.app import EVENTS_PATH, SlackAdapter, create_adapter
from core.clock import FrozenClock
from core.engine.deliveries import LEASE, Deliveries
from core.settings import Settings
from core.storage.database import Database
from testkit.old_migrations import RAW_MIGRATIONS_1_TO_4
from testkit.standins.slack_standin import TEAM_ID, SlackStandIn, serve_web_app
from tests.adapters.test_slack_adapter import (  # noqa: F401  (fixtures: the rig, and no proxy for 127.0.0.1)
    _ROOT,
    SECRET,
    Rig,
    _no_proxy_env,
    _process_env,
    _stop,
    answer_count,
    buttons,
    config,
    rig,
    texts,
)

WINDOW = timedelta(minutes=25)


@asynccontextmanager
async def another_process(slack: SlackStandIn, db_path: str, clock: FrozenClock) -> AsyncIterator[SlackAdapter]:
    """A second adapter on the same database, as the process that starts after the first one died; started (so it
    replays) but serving nothing."""
    adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock)
    try:
        yield adapter
    finally:
        await adapter.close()


async def rows(rig: Rig) -> list[dict[str, object]]:
    found = await rig.services.db.fetchall(text("SELECT key, kind, body, attempts, outcome, done_at FROM deliveries"))
    return [dict(r) for r in found]


async def recorded_but_never_run(rig: Rig, payload: dict[str, object], kind: str = "action") -> str:
    """What a SIGKILL between the ack and the work leaves behind: the delivery in the inbox, not done, its lease
    running for another LEASE."""
    key = f"slack:{TEAM_ID}:{payload['trigger_id']}"
    assert await Deliveries(rig.services.db, rig.clock).record(key, kind, json.dumps(payload))
    return key


def lease_runs_out(clock: FrozenClock) -> None:
    clock.advance(seconds=LEASE.total_seconds() + 1)


async def test_a_delivery_is_stored_with_its_body_and_marked_done_after_its_work(rig: Rig) -> None:
    question = await rig.ask("/qotd")
    payload = rig.slack.block_actions_payload(buttons(question)[0]["action_id"], value="x")
    assert (await rig.slack.send_interactive(rig.url, payload, secret=SECRET)).status == 200
    await rig.reply(payload)
    await asyncio.gather(*rig.adapter._inflight)

    found = {r["key"]: r for r in await rows(rig)}
    mine = found[f"slack:{TEAM_ID}:{payload['trigger_id']}"]
    assert mine["kind"] == "action" and mine["outcome"] == "done" and mine["done_at"] is not None
    assert mine["body"] is None  # dropped once done: it held a response_url, a credential for 30 minutes


async def test_a_delivery_a_crash_left_unfinished_is_run_again_at_start(rig: Rig) -> None:
    question = await rig.ask("/qotd")
    action_id = buttons(question)[3]["action_id"]
    press = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
    command = rig.slack.slash_command_payload("/qotd")
    await recorded_but_never_run(rig, press)
    await recorded_but_never_run(rig, command, "command")
    assert await answer_count(rig) == 0
    lease_runs_out(rig.clock)

    async with another_process(rig.slack, rig.adapter.services.db.path, rig.clock) as restarted:
        await restarted.replay()
        answered = await rig.reply(press)
        stats = await rig.reply(command)
        await asyncio.gather(*restarted._inflight)

    assert "You chose *D*." in texts(answered)
    assert [b["text"]["text"] for b in buttons(stats)] == ["A", "B", "C", "D", "E"]
    assert await answer_count(rig) == 1
    assert all(r["outcome"] == "done" for r in await rows(rig))


async def test_a_replayed_press_already_stored_is_stored_once(rig: Rig) -> None:
    """The answer went in, then the process died before marking the delivery done: the replay finds the answer."""
    question = await rig.ask("/qotd")
    action_id = buttons(question)[1]["action_id"]
    first = await rig.press(action_id, ephemeral=True)
    again = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
    await recorded_but_never_run(rig, again)
    lease_runs_out(rig.clock)

    async with another_process(rig.slack, rig.adapter.services.db.path, rig.clock) as restarted:
        await restarted.replay()
        replayed = await rig.reply(again)
        await asyncio.gather(*restarted._inflight)

    assert "You chose *B*." in texts(first)
    assert "You already answered this one: *B*," in texts(replayed)  # run after the change window closed
    assert await answer_count(rig) == 1


async def test_a_delivery_older_than_its_response_url_is_given_up_not_run(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    question = await rig.ask("/qotd")
    press = rig.slack.block_actions_payload(buttons(question)[0]["action_id"], ephemeral=True)
    await recorded_but_never_run(rig, press)
    rig.clock.advance(minutes=26)

    async with another_process(rig.slack, rig.adapter.services.db.path, rig.clock) as restarted:
        assert await restarted.replay() is False
    await asyncio.sleep(0.1)

    assert rig.slack.responses(rig.slack.token_of(press["response_url"])) == []
    assert await answer_count(rig) == 0
    (row,) = [r for r in await rows(rig) if r["kind"] == "action"]
    assert row["outcome"] == "given up" and row["body"] is None
    assert any("given up" in r.getMessage() for r in caplog.records)


async def test_a_slow_record_is_acknowledged_in_time_with_a_warning_and_still_handled(
        db_path: str, clock: FrozenClock, caplog: pytest.LogCaptureFixture) -> None:
    """The database is busy past the deadline (another writer holds it): Slack still gets its ack in time, a warning
    says the ack went first, and once the record lands the work runs."""
    async with SlackStandIn() as slack:
        adapter = await create_adapter(Settings(db_path=db_path), config(slack), clock=clock)
        adapter.record_deadline = 0.2
        try:
            async with serve_web_app(adapter.web_app()) as base:
                url = base + EVENTS_PATH
                question = await slack.wait_for_response(slack.token_of(
                    (await slack.send_slash_command(url, secret=SECRET, command="/qotd")).sent["response_url"]))
                action_id = buttons(question)[4]["action_id"]
                press = slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
                busy = asyncio.Event()

                async def hold_the_writer() -> None:
                    async with adapter.services.db.transaction():
                        busy.set()
                        await asyncio.sleep(1.0)

                holder = asyncio.create_task(hold_the_writer())
                await busy.wait()
                delivery = await slack.send_interactive(url, press, secret=SECRET)
                assert holder.done() is False  # acked while the writer was still held
                await holder
                answered = await slack.wait_for_response(slack.token_of(press["response_url"]))
                await asyncio.gather(*adapter._inflight)
                count = await adapter.services.db.fetchone(text("SELECT COUNT(*) AS n FROM answers"))
        finally:
            await adapter.close()

    assert delivery.status == 200 and 0.2 <= delivery.latency < 1.0
    assert "You chose *E*." in json.dumps(answered.params)
    assert count["n"] == 1
    assert any("acknowledged before it was stored" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


async def test_a_delivery_that_cannot_be_recorded_is_not_acknowledged(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    await rig.ask("/qotd")
    refuse = "CREATE TRIGGER refuse BEFORE INSERT ON deliveries BEGIN SELECT RAISE(ABORT, 'disk is full'); END"
    await rig.services.db.execute(text(refuse))  # every new delivery now fails to be recorded
    try:
        refused = await rig.slack.send_slash_command(rig.url, secret=SECRET, command="/qotd-stats")
    finally:
        await rig.services.db.execute(text("DROP TRIGGER refuse"))
    await asyncio.sleep(0.1)

    assert refused.status == 503  # Slack shows the member it failed; Socket Mode would deliver it again
    assert rig.slack.responses(rig.slack.token_of(refused.sent["response_url"])) == []
    assert any("could not be recorded" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info]


async def test_two_processes_starting_together_take_each_unfinished_delivery_once(tmp_path: Path, clock: FrozenClock) -> None:
    path = str(tmp_path / "shared.db")
    first, second = await Database(path).open(), await Database(path).open()
    try:
        inbox = Deliveries(first, clock)
        await asyncio.gather(*(inbox.record(f"slack:T:{i}", "action", "{}") for i in range(50)))
        lease_runs_out(clock)
        a, b = await asyncio.gather(Deliveries(first, clock).replay(WINDOW, clock.now()),
                                    Deliveries(second, clock).replay(WINDOW, clock.now()))
    finally:
        await first.close()
        await second.close()
    taken = [u.key for u in a.due] + [u.key for u in b.due]
    assert sorted(taken) == sorted(f"slack:T:{i}" for i in range(50))  # each once, whichever took it
    assert a.next_at == b.next_at == clock.now() + LEASE  # taken under a new lease, not yet done


async def test_a_delivery_that_keeps_taking_the_process_down_is_given_up(tmp_path: Path, clock: FrozenClock) -> None:
    db = await Database(str(tmp_path / "poison.db")).open()
    try:
        inbox = Deliveries(db, clock)
        await inbox.record("slack:T:poison", "action", "{}")
        runs = []
        for _ in range(4):
            lease_runs_out(clock)
            runs.append(len((await inbox.replay(WINDOW, clock.now())).due))
    finally:
        await db.close()
    assert runs == [1, 1, 1, 0]


async def test_claims_and_deliveries_from_before_the_inbox_are_never_run_again(tmp_path: Path, clock: FrozenClock) -> None:
    path = str(tmp_path / "old.db")
    with sqlite3.connect(path) as old:  # a database as the version before the inbox left it
        for script in RAW_MIGRATIONS_1_TO_4[:3]:
            old.executescript(script)
        old.execute("PRAGMA user_version = 3")
        old.execute("INSERT INTO deliveries (key, received_at) VALUES ('slack:T:old', ?)", (clock.now().isoformat(),))
    db = await Database(path).open()
    try:
        inbox = Deliveries(db, clock)
        assert await inbox.claim("slack:T:claimed")
        lease_runs_out(clock)
        found = await inbox.replay(WINDOW, clock.now())
        assert not await inbox.record("slack:T:old", "action", "{}")  # still a repeat
    finally:
        await db.close()
    assert found.due == [] and found.given_up == 0 and found.next_at is None


async def test_a_delivery_still_leased_waits_for_its_lease_then_runs(rig: Rig) -> None:
    """Restarted at once after a crash (or beside a live process at work on it): the delivery is left alone until
    its lease runs out, then run; one from after this start is never taken (it is this process's own)."""
    question = await rig.ask("/qotd")
    action_id = buttons(question)[0]["action_id"]
    press = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
    await recorded_but_never_run(rig, press)
    rig.clock.advance(seconds=1)

    async with another_process(rig.slack, rig.adapter.services.db.path, rig.clock) as restarted:
        assert await restarted.replay() is True  # leased: look again later
        assert await answer_count(rig) == 0
        rig.clock.advance(seconds=LEASE.total_seconds())
        later = rig.slack.block_actions_payload(action_id, value=action_id, ephemeral=True)
        await recorded_but_never_run(rig, later)  # recorded after the restart: not a crash's leftover
        lease_runs_out(rig.clock)
        assert await restarted.replay() is True  # the press is taken, under a lease of its own until it is done
        answered = await rig.reply(press)
        await asyncio.gather(*restarted._inflight)

    assert "You chose *A*." in texts(answered)
    assert rig.slack.responses(rig.slack.token_of(later["response_url"])) == []
    assert await answer_count(rig) == 1


@pytest.mark.parametrize("mode", [(), ("--http", "--port", "0")], ids=["socket-mode", "http"])
async def test_rounds_slack_runs_what_a_dead_process_left_unfinished_before_serving(tmp_path: Path,
                                                                                    mode: tuple[str, ...]) -> None:
    """Both `rounds slack` and `rounds slack --http` call start(): a command recorded 15 s ago by a process that died
    (its lease over) gets its reply from the next process, through its response_url."""
    db_path = str(tmp_path / "process.db")
    async with SlackStandIn() as slack:
        command = slack.slash_command_payload("/qotd-stats")
        db = await Database(db_path).open()
        try:
            died = FrozenClock(Settings.from_env().clock().now() - timedelta(seconds=15))  # the process's timeline
            assert await Deliveries(db, died).record(f"slack:{TEAM_ID}:{command['trigger_id']}", "command", json.dumps(command))
        finally:
            await db.close()
        env = _process_env(slack, tmp_path, SLACK_APP_TOKEN="xapp-inbox", SLACK_SIGNING_SECRET=SECRET,
                           ROUNDS_HTTP_HOST="127.0.0.1")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "slack", *mode, cwd=_ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            reply = await slack.wait_for_response(slack.token_of(command["response_url"]), timeout=15)
        finally:
            stderr = await _stop(process)
    assert "not answered a question of the day" in texts(reply)
    assert "running again 1 Slack deliveries" in stderr
    with sqlite3.connect(db_path) as check:
        assert check.execute("SELECT outcome FROM deliveries").fetchall() == [("done",)]


async def test_an_unfinished_delivery_that_cannot_be_read_back_is_dropped_not_run(rig: Rig,
                                                                                 caplog: pytest.LogCaptureFixture) -> None:
    inbox = Deliveries(rig.services.db, rig.clock)
    await inbox.record("slack:T0ROUNDS:garbled", "action", "{not json")
    await inbox.record("slack:T0ROUNDS:shapeless", "action", json.dumps({"type": "block_actions", "actions": []}))
    lease_runs_out(rig.clock)
    async with another_process(rig.slack, rig.adapter.services.db.path, rig.clock) as restarted:
        await restarted.replay()
        await asyncio.gather(*restarted._inflight)
    assert {r["key"]: r["outcome"] for r in await rows(rig)} == {"slack:T0ROUNDS:garbled": "done",
                                                                 "slack:T0ROUNDS:shapeless": "done"}
    assert len([r for r in caplog.records if "could not be read back" in r.getMessage()]) == 2
    assert not [r for r in caplog.records if r.exc_info]
