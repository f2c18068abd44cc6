"""Discord's rate limits: the stand-in enforces them (opt-in) and the notifier's pacer keeps under the global one.

Why: discord.py keeps to each route's bucket from the `X-RateLimit-*` headers, but meets the global limit (50
requests a second) only when Discord answers a global 429. A burst of reminders must not run into it, and if it
does, discord.py must still deliver every message. The pacer itself is tested with an injected clock and sleep; the
burst tests drive the real discord.py against the stand-in and assert on counts only, never on how long it took.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import pytest

from bots.discord.notifier import DiscordNotifier
from bots.discord.pace import Pacer
from commands.replies import Reply
from core.engine.errors import Undeliverable
from testkit.standins.discord_standin import (
    GENERAL_CHANNEL_ID,
    MESSAGE_BUCKET,
    DiscordStandIn,
    MemberSpec,
    UserSpec,
    default_guild,
)

MEMBERS = [UserSpec(1300000000000000000 + n, f"img_{n}") for n in range(60)]


# --- the pacer, on an injected clock ----------------------------------------------------------------------------------


class FakeTime:
    """A clock that moves only when `sleep` is awaited (`advance=False`: not even then)."""

    def __init__(self, *, advance: bool = True) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.advance = advance

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        if self.advance:
            self.now += seconds


async def test_a_burst_goes_at_once_then_one_a_slot() -> None:
    fake = FakeTime()
    pacer = Pacer(10, burst=3, clock=fake.clock, sleep=fake.sleep)
    for _ in range(6):
        await pacer.take()
    assert fake.slept == [0.1, 0.1, 0.1]  # three at once, then one each tenth of a second
    assert pacer.taken == 6


async def test_concurrent_callers_each_get_their_own_slot() -> None:
    fake = FakeTime(advance=False)
    pacer = Pacer(4, burst=1, clock=fake.clock, sleep=fake.sleep)
    await asyncio.gather(*(pacer.take() for _ in range(4)))
    assert sorted(fake.slept) == [0.25, 0.5, 0.75]  # no two share a slot, no one wakes to find it gone


async def test_a_quiet_spell_refills_the_burst_and_no_more() -> None:
    fake = FakeTime()
    pacer = Pacer(10, burst=2, clock=fake.clock, sleep=fake.sleep)
    for _ in range(4):
        await pacer.take()
    fake.now += 60  # a minute of nothing saves up two tokens, not six hundred
    fake.slept.clear()
    for _ in range(3):
        await pacer.take()
    assert fake.slept == [0.1]


async def test_after_a_stalled_loop_the_waiting_do_not_pour_out_at_once() -> None:
    """The loop stalls for five seconds while B waits for its slot: C, queued behind, goes when B does (its burst of
    one), and D, who comes next, waits a whole slot again instead of finding its reserved slot long past."""
    now = [0.0]
    wakes: list[asyncio.Future[None]] = []
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(round(seconds, 9))
        wakes.append(asyncio.get_running_loop().create_future())
        await wakes[-1]

    pacer = Pacer(10, burst=1, clock=lambda: now[0], sleep=sleep)
    await pacer.take()  # A: at once
    b, c = asyncio.create_task(pacer.take()), asyncio.create_task(pacer.take())
    await asyncio.sleep(0)
    assert slept == [0.1] and not c.done()  # B sleeps for its slot, C waits its turn
    now[0] = 5.0  # the stall
    wakes[0].set_result(None)
    await asyncio.gather(b, c)
    assert slept == [0.1]  # C's slot is now: it did not sleep
    d = asyncio.create_task(pacer.take())
    await asyncio.sleep(0)
    assert slept == [0.1, 0.1] and not d.done()
    d.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await d


def test_a_pacer_needs_a_rate() -> None:
    with pytest.raises(ValueError):
        Pacer(0)


def test_the_notifier_is_paced_unless_told_not_to_be() -> None:
    assert DiscordNotifier().pacer is not None and DiscordNotifier().pacer.rate == 45  # type: ignore[union-attr]
    assert DiscordNotifier(rate=None).pacer is None


# --- the stand-in's limits through discord.py -----------------------------------------------------------------------


@pytest.fixture
async def standin() -> AsyncIterator[DiscordStandIn]:
    guild = default_guild()
    guild.members += [MemberSpec(user, []) for user in MEMBERS]
    async with DiscordStandIn(guilds=[guild]) as api:
        with api.patch_discord():
            yield api


@pytest.fixture
async def client(standin: DiscordStandIn) -> AsyncIterator[discord.Client]:
    bot = discord.Client(intents=discord.Intents.none())
    await bot.login(standin.token or "any-token")
    try:
        yield bot
    finally:
        await bot.close()


async def dm_everyone(notifier: DiscordNotifier) -> None:
    await asyncio.gather(*(notifier.direct(f"discord:{user.id}", Reply(text=f"Session at 18:00, {user.username}"))
                           for user in MEMBERS))


def delivered(standin: DiscordStandIn) -> int:
    return sum(len(standin.channel_messages(dm)) for user in MEMBERS if (dm := standin.dm_channel_of(user.id)))


async def test_paced_under_the_limit_sixty_dms_meet_no_429(standin: DiscordStandIn, client: discord.Client) -> None:
    standin.enforce_rate_limits(20)
    notifier = DiscordNotifier(client, rate=19)
    await dm_everyone(notifier)

    stats = standin.rate_stats()
    assert stats.limited == [] and [c for c in standin.calls if c.status == 429] == []
    assert delivered(standin) == 60
    assert notifier.pacer is not None and notifier.pacer.taken == 120  # each a create_dm and a send
    assert len(stats.accepted) == 120


async def test_a_cached_dm_channel_costs_one_request(standin: DiscordStandIn, client: discord.Client) -> None:
    notifier = DiscordNotifier(client, rate=1000)
    member = f"discord:{MEMBERS[0].id}"
    await notifier.direct(member, Reply(text="first"))
    await notifier.direct(member, Reply(text="second"))
    assert notifier.pacer is not None and notifier.pacer.taken == 3
    assert len(standin.calls_to("POST", "/users/@me/channels")) == 1


async def test_unpaced_the_burst_meets_global_429s_and_what_discord_py_gives_up_on_is_retryable(
    standin: DiscordStandIn, client: discord.Client,
) -> None:
    """discord.py waits each global 429's `retry_after` (the time to the next token) and tries again, five times
    in all; a burst wakes its refused requests together, one of them gets the token and the rest are refused
    again, so some may run out of tries. That is raised as discord.py's 429, not `Undeliverable`: the duty runner
    retries it, and the retry arrives."""
    standin.enforce_rate_limits(20)
    notifier = DiscordNotifier(client, rate=None)
    members = [f"discord:{user.id}" for user in MEMBERS]
    outcomes = await asyncio.gather(*(notifier.direct(m, Reply(text="Session at 18:00")) for m in members),
                                    return_exceptions=True)

    assert standin.rate_stats().global_429s > 0
    assert all(c.response["global"] for c in standin.calls if c.status == 429)
    failed = [m for m, outcome in zip(members, outcomes, strict=True) if outcome is not None]
    for outcome in outcomes:
        if outcome is not None:
            assert isinstance(outcome, discord.HTTPException) and outcome.status == 429, outcome
            assert not isinstance(outcome, Undeliverable)
    assert delivered(standin) == 60 - len(failed)
    for member in failed:  # what the duty runner does after its backoff
        await notifier.direct(member, Reply(text="Session at 18:00"))
    assert delivered(standin) == 60


async def test_a_channel_bucket_makes_discord_py_wait_for_its_reset(standin: DiscordStandIn,
                                                                   client: discord.Client) -> None:
    standin.enforce_rate_limits(50, channel_messages=(2, 0.2))
    notifier = DiscordNotifier(client, rate=None)
    for n in range(5):
        await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text=f"reminder {n}"))

    posts = [c for c in standin.calls_to("POST", f"/channels/{GENERAL_CHANNEL_ID}/messages")]
    assert [c.status for c in posts] == [200] * 5  # discord.py read the headers and waited: no 429
    assert posts[0].rate_headers["X-RateLimit-Bucket"] == MESSAGE_BUCKET
    assert [c.rate_headers["X-RateLimit-Remaining"] for c in posts] == ["1", "0", "1", "0", "1"]
    assert len(standin.channel_messages(GENERAL_CHANNEL_ID)) == 5


async def test_over_the_channel_bucket_discord_answers_a_route_429(standin: DiscordStandIn) -> None:
    """What discord.py never lets happen, seen by a plain HTTP client: the sixth post in the window is refused."""
    import aiohttp

    standin.enforce_rate_limits(50)
    url = f"{standin.rest_base}/channels/{GENERAL_CHANNEL_ID}/messages"
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as session:
        statuses = []
        for n in range(6):
            async with session.post(url, json={"content": f"m{n}"}, headers=headers) as response:
                statuses.append(response.status)
                last = (dict(response.headers), await response.json())
    assert statuses == [200] * 5 + [429]
    answer, body = last
    assert answer["X-RateLimit-Scope"] == "user" and "X-RateLimit-Global" not in answer
    assert answer["Via"] == "1.1 google" and answer["X-RateLimit-Remaining"] == "0"
    assert body["global"] is False and 0 < body["retry_after"] <= 5
    assert standin.rate_stats().route_429s == 1


async def test_over_the_global_limit_discord_answers_a_global_429(standin: DiscordStandIn) -> None:
    import aiohttp

    standin.enforce_rate_limits(3, channel_messages=None)
    headers = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as session:
        answers = []
        for _ in range(4):
            async with session.get(f"{standin.rest_base}/users/@me", headers=headers) as response:
                answers.append((response.status, dict(response.headers), await response.json()))
        async with session.post(f"{standin.rest_base}/interactions/1/token/callback", json={"type": 1}) as response:
            exempt = response.status
    assert [status for status, _, _ in answers] == [200, 200, 200, 429]
    _, limited, body = answers[-1]
    assert limited["X-RateLimit-Global"] == "true" and limited["X-RateLimit-Scope"] == "global"
    assert limited["Via"] == "1.1 google" and int(limited["Retry-After"]) >= 1
    assert body == {"message": "You are being rate limited.", "retry_after": body["retry_after"], "global": True}
    assert 0 < body["retry_after"] <= 1 / 3 + 0.01
    assert exempt != 429  # interaction callbacks are not counted against the global limit
    stats = standin.rate_stats()
    assert len(stats.accepted) == 3 and stats.global_429s == 1


async def test_limits_are_off_unless_asked_for(standin: DiscordStandIn, client: discord.Client) -> None:
    notifier = DiscordNotifier(client, rate=None)
    for n in range(7):
        await notifier.post(str(GENERAL_CHANNEL_ID), Reply(text=f"m{n}"))
    assert standin.rate_stats().accepted == [] and all(not c.rate_headers for c in standin.calls)
