"""Several processes, one PostgreSQL: three `rounds discord` processes whose communities all post at the same moment
post every community's question exactly once, also when one of them is SIGKILLed mid-run.

The runners share the due duties through the database (claimed with FOR UPDATE SKIP LOCKED, each under a short
lease kept alive by a heartbeat). A process killed after Discord accepted a post and before it recorded the post
leaves that duty to the others once its lease runs out; their retry sends the same nonce, and Discord answers it
with the message already there instead of a second one. The stand-in holds its answers to the posts for a moment,
as a slow network back to the bot does, so the kill lands while some accepted posts are still unanswered.

The default suite runs the issue's full size, 1,000 communities; `python -m bench.fanout` runs the same fan-out and
prints posts/s and duplicates. Below the processes, the pieces each is made of: the heartbeat that keeps a living process's
lease, and what each platform's notifier does with an occurrence key on a retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from slack_sdk.errors import SlackApiError

from bots.discord.notifier import DiscordNotifier, nonce_of
from bots.slack.app import SlackConfig, web_client
from bots.slack.notifier import EVENT_TYPE, SlackNotifier
from commands.notifier import LOOKBACK
from commands.replies import Reply
from core.bootstrap import Services
from core.clock import FrozenClock
from core.engine.duties import Duty, Plan
from core.engine.runner import LEASE
from core.storage.database import Database
from testkit.discord_fleet import bot_env, fleet, guilds, holder_pid, posted, prepare, unanswered, watch
from testkit.standins.discord_standin import GENERAL_CHANNEL_ID, DiscordStandIn
from testkit.standins.slack_standin import DEFAULT_CHANNEL_ID, SlackStandIn

COMMUNITIES = 1000
PROCESSES = 3
LEAD = 6.0  # seconds from starting the processes to 09:00 on their shared timeline: all are up by then
HELD = 0.5  # seconds each post's answer takes on its way back to the bot
KILL_AFTER = COMMUNITIES // 10  # posts recorded before the kill


@pytest.fixture
async def watched(pg_database: str) -> AsyncIterator[Database]:
    """The test's PostgreSQL database with the communities in it, and a connection to watch the duties through."""
    await prepare(pg_database, COMMUNITIES)
    db = await Database(pg_database).open()
    yield db
    await db.close()


async def test_three_processes_post_every_community_exactly_once(watched: Database, pg_database: str,
                                                                  tmp_path: Path) -> None:
    holders: set[int] = set()
    async with DiscordStandIn(guilds=guilds(COMMUNITIES)) as standin:
        async with fleet(standin, bot_env(standin, pg_database, LEAD), PROCESSES, tmp_path) as bots:
            rows = await watch(watched, LEAD + 40, lambda rows: holders.update(
                pid for row in rows if (pid := holder_pid(row["claimed_by"]))))
        logs = [bots.log(p) for p in bots.processes]
        counts = posted(standin, COMMUNITIES)
    assert len(rows) == COMMUNITIES and {row["outcome"] for row in rows} == {"done"}
    assert counts == Counter(dict.fromkeys(range(COMMUNITIES), 1)), "a community posted twice or never"
    assert len(holders) >= 2, "the processes did not share the posts"
    assert holders <= {p.pid for p in bots.processes}
    assert not any("Traceback" in log for log in logs), next(log for log in logs if "Traceback" in log)[-3000:]


async def test_a_process_sigkilled_mid_run_leaves_no_community_unposted_and_none_posted_twice(
        watched: Database, pg_database: str, tmp_path: Path) -> None:
    killed: dict[str, object] = {}
    async with DiscordStandIn(guilds=guilds(COMMUNITIES)) as standin:
        standin.hold_answers("/channels/", HELD, method="POST", times=10 * COMMUNITIES)
        async with fleet(standin, bot_env(standin, pg_database, LEAD), PROCESSES, tmp_path) as bots:

            def kill_one_with_posts_in_flight(rows: list[dict[str, object]]) -> None:
                if killed or sum(row["done_at"] is not None for row in rows) < KILL_AFTER:
                    return
                in_flight = unanswered(rows, standin)
                victim = next((pid for pid, n in in_flight.most_common(1) if n >= 3), None)
                process = bots.by_pid(victim) if victim else None
                if process is not None and process.returncode is None:
                    process.kill()
                    killed.update(pid=victim, in_flight=in_flight[victim],
                                  done=sum(row["done_at"] is not None for row in rows))

            rows = await watch(watched, LEAD + LEASE.total_seconds() + 40, kill_one_with_posts_in_flight)
            survivors = [p for p in bots.processes if p.pid != killed.get("pid")]
            logs = [bots.log(p) for p in survivors]
        counts = posted(standin, COMMUNITIES)
        repeats = list(standin.nonce_repeats)
    assert killed, "no process was killed"
    assert 0 < int(killed["done"]) < COMMUNITIES, f"the kill did not land mid-run: {killed}"  # type: ignore[call-overload]
    # 'skipped': the killed process had recorded the post, not yet the duty; the retry found it recorded
    assert {row["outcome"] for row in rows} <= {"done", "skipped"}
    assert counts == Counter(dict.fromkeys(range(COMMUNITIES), 1)), (
        f"posted twice: {[n for n, c in counts.items() if c > 1]}; never: {[n for n, c in counts.items() if c == 0]}")
    assert repeats, f"no retry of an accepted post was answered with the message already there: {killed} {Counter((r['outcome'], r['attempts']) for r in rows)}"
    assert any(int(row["attempts"]) >= 2 for row in rows)  # type: ignore[call-overload]
    assert not any("Traceback" in log for log in logs), next(log for log in logs if "Traceback" in log)[-3000:]


# --- the heartbeat -------------------------------------------------------------------------------------------------

async def test_a_living_process_keeps_its_lease_however_long_the_delivery_takes(services: Services,
                                                                                 clock: FrozenClock) -> None:
    services.runner.lease = timedelta(seconds=0.3)  # beats every 0.1 s
    kinds, platforms = frozenset({"test.slow"}), frozenset({"console"})
    taken_meanwhile: list[Duty] = []

    async def slow(duty: Duty) -> None:
        for _ in range(5):  # a full second on the clock: more than three leases
            clock.advance(seconds=0.2)
            await asyncio.sleep(0.15)
            taken_meanwhile.extend(await services.duties.claim("another-process", kinds, platforms,
                                                               services.runner.lease, 10))

    services.runner.serve({"test.slow": slow}, platforms)
    await services.duties.plan(Plan("test.slow", "k", "console:slow", clock.now()))
    assert await services.runner.run_due() == 1
    assert taken_meanwhile == []
    assert await services.duties.outcome("test.slow", "k") == ("done", 1, None)


# --- Discord: a repeated nonce returns the message already there ---------------------------------------------------

@pytest.fixture
async def discord_notifier() -> AsyncIterator[tuple[DiscordNotifier, DiscordStandIn]]:
    async with DiscordStandIn() as standin:
        with standin.patch_discord():
            client = discord.Client(intents=discord.Intents.none())
            await client.login(standin.token or "any-token")
            try:
                yield DiscordNotifier(client), standin
            finally:
                await client.close()


async def test_discord_answers_a_retried_post_with_the_message_it_already_has(
        discord_notifier: tuple[DiscordNotifier, DiscordStandIn]) -> None:
    notifier, standin = discord_notifier
    key = "qotd.announce:discord:1200000000000000100|2026-11-24"
    await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="Question of the day"), key=key)
    await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="Question of the day"), key=key,
                        since=datetime(2026, 11, 24, 6, 0, tzinfo=UTC))  # the retry, after a kill
    await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="The reveal"), key="qotd.reveal:1")
    sent = standin.calls_to("POST", f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert [c.json["nonce"] for c in sent] == [nonce_of(key), nonce_of(key), nonce_of("qotd.reveal:1")]
    assert all(c.json["enforce_nonce"] is True and len(c.json["nonce"]) <= 25 for c in sent)
    assert [m["content"] for m in standin.channel_messages(GENERAL_CHANNEL_ID)] == ["Question of the day", "The reveal"]
    assert standin.nonce_repeats == [sent[0].response["id"]] and sent[1].response["id"] == sent[0].response["id"]


async def test_posts_without_a_key_are_two_posts(discord_notifier: tuple[DiscordNotifier, DiscordStandIn]) -> None:
    """discord.py makes up a random nonce of its own for every message sent without one."""
    notifier, standin = discord_notifier
    for _ in range(2):
        await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text="twice on purpose"))
    first, second = standin.calls_to("POST", f"/channels/{GENERAL_CHANNEL_ID}/messages")
    assert first.json["nonce"] != second.json["nonce"]
    assert len(standin.channel_messages(GENERAL_CHANNEL_ID)) == 2 and standin.nonce_repeats == []


# --- Slack: a retry looks in the channel's history for the key -----------------------------------------------------

@pytest.fixture
async def slack(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[SlackStandIn]:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk ignores NO_PROXY
    async with SlackStandIn() as standin:
        yield standin


def slack_notifier(slack: SlackStandIn) -> SlackNotifier:
    return SlackNotifier(web_client(SlackConfig(bot_token="xoxb-many-processes", api_url=slack.api_url)))


async def test_slack_posts_a_duty_with_its_key_and_a_retry_finds_it_in_the_history(slack: SlackStandIn,
                                                                                   clock: FrozenClock) -> None:
    notifier, key = slack_notifier(slack), "qotd.announce:slack:T1|2026-11-24"
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="Question of the day"), key=key)
    for n in range(250):  # the channel goes on: the post is on the second page of the history by now
        await notifier.post(DEFAULT_CHANNEL_ID, Reply(text=f"chatter {n}"))
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="Question of the day"), key=key, since=clock.now() - LOOKBACK)
    posts = slack.calls("chat.postMessage")
    assert len(posts) == 251 and posts[0].get("metadata") == {"event_type": EVENT_TYPE, "event_payload": {"key": key}}
    history = slack.calls("conversations.history")
    assert [c.get("cursor") is not None for c in history] == [False, True]
    assert all(c.get("include_all_metadata") in ("1", "true", True) and c.get("channel") == DEFAULT_CHANNEL_ID
               for c in history)
    assert float(history[0].get("oldest")) == pytest.approx((clock.now() - LOOKBACK).timestamp())


async def test_slack_posts_a_retry_whose_key_is_not_in_the_history(slack: SlackStandIn, clock: FrozenClock) -> None:
    notifier = slack_notifier(slack)
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="yesterday"), key="qotd.announce:slack:T1|2026-11-23")
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="today"), key="qotd.announce:slack:T1|2026-11-24",
                        since=clock.now() - LOOKBACK)
    assert [c.get("text") for c in slack.calls("chat.postMessage")] == ["yesterday", "today"]


async def test_slack_posts_when_the_history_cannot_be_read(slack: SlackStandIn, clock: FrozenClock,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    notifier, key = slack_notifier(slack), "qotd.announce:slack:T1|2026-11-24"
    await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="once"), key=key)
    slack.fail_next("conversations.history", "missing_scope")
    with caplog.at_level(logging.WARNING, logger="bots.slack.notifier"):
        await notifier.post(DEFAULT_CHANNEL_ID, Reply(text="once"), key=key, since=clock.now() - LOOKBACK)
    assert len(slack.calls("chat.postMessage")) == 2  # twice rather than never: the log says why
    assert any("missing_scope" in r.getMessage() for r in caplog.records)


async def test_the_slack_stand_in_pages_the_history_newest_first_with_metadata_only_when_asked(
        slack: SlackStandIn) -> None:
    client = web_client(SlackConfig(bot_token="xoxb-many-processes", api_url=slack.api_url))
    sent = [await client.chat_postMessage(channel=DEFAULT_CHANNEL_ID, text=f"m{n}",
                                          metadata={"event_type": EVENT_TYPE, "event_payload": {"key": str(n)}})
            for n in range(5)]
    first = await client.conversations_history(channel=DEFAULT_CHANNEL_ID, oldest=sent[0]["ts"], limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"] is True
    assert not any("metadata" in m for m in first["messages"])
    rest = await client.conversations_history(channel=DEFAULT_CHANNEL_ID, oldest=sent[0]["ts"], limit=2,
                                              cursor=first["response_metadata"]["next_cursor"],
                                              include_all_metadata=True)
    assert [m["text"] for m in rest["messages"]] == ["m2", "m1"]  # oldest is exclusive: m0 is not there
    assert [m["metadata"]["event_payload"]["key"] for m in rest["messages"]] == ["2", "1"]
    assert rest["has_more"] is False and "response_metadata" not in rest.data
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.conversations_history(channel="C0NOWHERE")
