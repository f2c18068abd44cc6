"""The streaks' timed posts, through the console harness and the duty runner, on both databases: the weekly recap
at the community's local time (DST weeks too), once per week across a restart; the end-of-day nudge, once a day at
most and only when a streak is at risk; the live leaderboard, one message edited at most once a slot and posted
afresh when it was deleted.

The clock is the test's FrozenClock and nothing runs unless the test calls `runner.run_due()`; a restart is a
second set of services built on the same database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from commands.moments import fallback, localize
from commands.notifier import CollectingNotifier
from commands.replies import Reply
from commands.runtime import bind_duties
from core.bootstrap import Services, build
from core.engine.errors import Undeliverable
from core.settings import Settings
from core.streaks.live import REFRESH
from core.streaks.nudges import NUDGE
from core.streaks.recaps import RECAP
from core.streaks.store import member_scope
from testkit.hanging import stopped_mid_delivery

COMMUNITY = "console:default"
RECAP_TITLE = "📅 Weekly recap"


def at(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def read(reply: Reply) -> Reply:
    """The reply as the console shows it: every moment written in the zone it names."""
    return localize(reply, fallback)


async def restarted(database: str, clock, notifier: CollectingNotifier) -> Services:
    """Another process (or the same one after a restart) on the same database."""
    services = await build(Settings(db_path=database), clock=clock)
    services.runner.serve(*bind_duties(services, [notifier]))
    return services


def recaps(notifier: CollectingNotifier) -> list:
    return [reply for _, reply in notifier.posts if reply.cards and reply.cards[0].title.startswith(RECAP_TITLE)]


async def run_at(services: Services, clock, when: datetime) -> int:
    clock.set(when)
    return await services.runner.run_due()


# -- the weekly recap ------------------------------------------------------------------------------------------------
async def test_the_recap_posts_once_at_its_local_time_with_the_weeks_figures(console, services, clock, notifier,
                                                                             database):
    admin = console("ada", admin=True)
    clock.set(at("2026-11-23T08:00", "Europe/Berlin"))  # Monday
    await admin.send("/rounds timezone Europe/Berlin")
    await admin.send("/rounds channel")
    reply = read(await admin.send("/rounds recap time:18:00 day:sun"))
    assert "Sundays at 18:00 (Europe/Berlin)" in reply.text and "Sun 29 Nov, 18:00 Europe/Berlin" in reply.text
    ana, bo = console("ana"), console("bo")
    for n in range(7):  # ana: every day of the week, a 7-day streak reached this week
        clock.set(at(f"2026-11-{23 + n}T08:30", "Europe/Berlin"))
        await ana.send("/checkin")
    shown = await bo.send("/qotd")
    right = (await services.bank.get((await services.qotd.post(int(shown.buttons[0].args[0]))).question_id)).answer
    await bo.send(f"[{right}]")
    await bo.send("/checkin")

    await run_at(services, clock, at("2026-11-29T17:59", "Europe/Berlin"))
    assert recaps(notifier) == []
    await run_at(services, clock, at("2026-11-29T18:00", "Europe/Berlin"))
    await run_at(services, clock, at("2026-11-29T18:01", "Europe/Berlin"))
    [recap] = recaps(notifier)
    card = recap.cards[0]
    fields = {f.name: f.value for f in card.fields}
    assert card.title == "📅 Weekly recap — Mon 23 Nov to Sun 29 Nov"
    assert fields["🔥 Top streaks"].splitlines() == ["1. ana — 7 days", "2. bo — 1 day"]
    assert fields["✅ Check-ins"] == "8 · 2 members active"
    assert fields["🎯 QOTD accuracy"] == "100% of 1 answer"
    assert card.body == "🎉 ana reached 7 days"

    again = await restarted(database, clock, notifier)  # a restart (or a second process) the same evening
    await run_at(again, clock, at("2026-11-29T20:00", "Europe/Berlin"))
    assert len(recaps(notifier)) == 1
    assert await again.recaps.next_at(await again.communities.get(COMMUNITY)) == at("2026-12-06T18:00", "Europe/Berlin")
    await again.close()


@pytest.mark.parametrize("zone, sunday, local, utc", [
    ("Europe/Berlin", "2026-10-25", "18:00", "2026-10-25T17:00"),  # clocks went back that morning: UTC+1 now
    ("America/New_York", "2026-03-08", "09:00", "2026-03-08T13:00"),  # clocks went forward: UTC-4 now
    ("America/New_York", "2026-03-08", "02:30", "2026-03-08T07:30"),  # 02:30 never happens: 03:30 EDT
    ("America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30"),  # 01:30 happens twice: the first one
])
async def test_a_dst_week_posts_once_at_the_local_time(console, services, clock, notifier, zone, sunday, local, utc):
    admin = console("ada", admin=True)
    clock.set(datetime.fromisoformat(sunday).replace(tzinfo=UTC) - timedelta(days=4))
    await admin.send(f"/rounds timezone {zone}")
    await admin.send("/rounds channel")
    await admin.send(f"/rounds recap time:{local}")
    due = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert await services.recaps.next_at(await services.communities.get(COMMUNITY)) == due
    await run_at(services, clock, due - timedelta(minutes=1))
    assert recaps(notifier) == []
    for later in (due, due + timedelta(minutes=30), due + timedelta(hours=1)):  # the repeated hour, a second wake
        await run_at(services, clock, later)
    [recap] = recaps(notifier)
    assert "A quiet week" in recap.cards[0].body  # nothing happened: a short, friendly recap all the same
    assert len(await services.duties.pending(RECAP, COMMUNITY)) == 1  # the next week's, a week on


async def test_recap_settings_off_and_a_moved_day_never_repeat_a_week(console, services, clock, notifier):
    admin = console("ada", admin=True)
    refused = await console("mallory").send("/rounds recap time:18:00")
    assert refused.private and "Only community admins" in refused.text
    clock.set(at("2026-11-24T10:00", "UTC"))
    early = await admin.send("/rounds recap time:18:00 day:fri")
    assert "pick one first" in early.text and await services.duties.pending(RECAP, COMMUNITY) == []
    assert "weekly recap posts there Fridays at 18:00 (UTC)" in (await admin.send("/rounds channel")).text
    [planned] = await services.duties.pending(RECAP, COMMUNITY)
    assert planned.due_at == at("2026-11-27T18:00", "UTC")
    await run_at(services, clock, at("2026-11-27T18:00", "UTC"))
    [friday] = recaps(notifier)
    assert friday.cards[0].title == "📅 Weekly recap — Mon 23 Nov to Fri 27 Nov"  # no day still to come
    # Moved to Monday: the coming Monday would report the week just recapped, so the first is the week after.
    await admin.send("/rounds recap time:08:00 day:mon")
    assert await services.recaps.next_at(await services.communities.get(COMMUNITY)) == at("2026-12-07T08:00", "UTC")
    shown = await admin.send("/rounds settings")
    assert {f.name: f.value for f in shown.cards[0].fields}["Weekly recap"] == "Mondays at 08:00 (UTC)"
    assert "recap is off" in (await admin.send("/rounds recap off")).text
    assert await services.duties.pending(RECAP, COMMUNITY) == []
    await run_at(services, clock, at("2026-12-07T08:00", "UTC"))
    assert len(recaps(notifier)) == 1
    for line, hint in (("/rounds recap time:25:00", "HH:MM"), ("/rounds recap time:off day:sun", "not both"),
                       ("/rounds recap time:18:00 day:someday", "must be one of")):
        bad = await admin.send(line)
        assert bad.private and hint in bad.text, line
    assert (await services.communities.get(COMMUNITY)).recap_time is None


async def test_a_lost_recap_plan_is_planned_again_by_the_sweep(console, services, clock):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    await admin.send("/rounds recap time:18:00")
    await services.duties.drop_pending(RECAP, COMMUNITY)
    await services.recaps.plan_missing(frozenset({"console"}))
    [planned] = await services.duties.pending(RECAP, COMMUNITY)
    assert planned.due_at == at("2026-11-29T18:00", "UTC") and planned.key == f"{COMMUNITY}|W2026-48"


# -- the end-of-day nudge --------------------------------------------------------------------------------------------
async def at_risk(console, clock, name: str = "ana"):
    """A member whose 1-day streak (Monday 23 Nov) ends with Tuesday unless they check in, nudges on."""
    member = console(name)
    clock.set(at("2026-11-23T12:00", "UTC"))
    await member.send("/checkin")
    clock.set(at("2026-11-24T10:00", "UTC"))
    await member.send("/streak nudge:on")
    return member


NUDGE_AT = at("2026-11-24T21:00", "UTC")  # three hours before ana's day ends at midnight UTC


async def test_the_nudge_is_sent_once_when_the_streak_is_at_risk_and_never_after_a_restart(console, services, clock,
                                                                                          notifier, database):
    await at_risk(console, clock)
    await run_at(services, clock, NUDGE_AT - timedelta(minutes=1))
    assert notifier.directs == []
    await run_at(services, clock, NUDGE_AT)
    await run_at(services, clock, NUDGE_AT + timedelta(minutes=5))
    [(member, reply)] = notifier.directs
    assert member == "console:ana"
    assert "streak of 1 day ends at **00:00 UTC** unless you check in today" in read(reply).text
    again = await restarted(database, clock, notifier)
    await run_at(again, clock, NUDGE_AT + timedelta(hours=1))
    [pending] = await again.duties.pending(NUDGE, member_scope(COMMUNITY, "console:ana"))
    assert pending.due_at == at("2026-11-25T21:00", "UTC")  # tomorrow's
    await again.close()
    assert len(notifier.directs) == 1


async def test_no_nudge_after_a_checkin_without_a_streak_or_after_opting_out(console, services, clock, notifier):
    ana = await at_risk(console, clock)
    await at_risk(console, clock, "bo")
    newcomer = console("cy")
    await newcomer.send("/streak nudge:on")  # no streak to lose
    clock.set(at("2026-11-24T15:00", "UTC"))
    await ana.send("/checkin")
    await console("bo").send("/streak nudge:off")
    assert await services.duties.pending(NUDGE, member_scope(COMMUNITY, "console:bo")) == []
    await run_at(services, clock, NUDGE_AT)
    assert notifier.directs == []
    assert (await services.duties.outcome(NUDGE, f"{COMMUNITY}|console:ana|2026-11-24"))[0] == "skipped"
    await run_at(services, clock, at("2026-11-25T21:00", "UTC"))  # ana's Wednesday: at risk now, and nudged
    assert [member for member, _ in notifier.directs] == ["console:ana"]


async def test_the_nudge_falls_due_in_the_members_own_zone(console, services, clock):
    ana = console("ana")
    await ana.send("/timezone zone:Asia/Karachi")
    await ana.send("/timezone rollover:2")  # her day ends at 02:00 Karachi
    await ana.send("/streak nudge:on")
    [pending] = await services.duties.pending(NUDGE, member_scope(COMMUNITY, "console:ana"))
    assert pending.due_at == at("2026-11-24T23:00", "Asia/Karachi")


async def test_a_zone_change_moves_the_pending_nudge_to_the_new_day_end(console, services, clock):
    ana = console("ana")
    await ana.send("/timezone zone:America/New_York")
    await ana.send("/streak nudge:on")
    [before] = await services.duties.pending(NUDGE, member_scope(COMMUNITY, "console:ana"))
    assert before.due_at == at("2026-11-24T21:00", "America/New_York")
    await ana.send("/timezone zone:Asia/Tokyo")  # east: her day now ends 14 hours sooner
    [after] = await services.duties.pending(NUDGE, member_scope(COMMUNITY, "console:ana"))
    assert after.due_at == at("2026-11-24T21:00", "Asia/Tokyo")  # 14 hours sooner, the same Tuesday


class Failing(CollectingNotifier):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def direct(self, member_id, reply):
        raise self.error


async def test_a_nudge_cut_off_mid_send_is_not_sent_again(console, services, clock, notifier):
    await at_risk(console, clock)
    clock.set(NUDGE_AT)
    await stopped_mid_delivery(services)
    services.runner.serve(*bind_duties(services, [notifier]))
    assert await services.runner.run_due() == 1  # the duty runs again, finds the day claimed: it may have arrived
    assert notifier.directs == []


async def test_a_failed_nudge_is_retried_and_closed_messages_end_it_quietly(console, services, clock, notifier):
    await at_risk(console, clock)
    clock.set(NUDGE_AT)
    services.runner.serve(*bind_duties(services, [Failing(RuntimeError("gateway timeout"))]))
    await services.runner.run_due()
    services.runner.serve(*bind_duties(services, [notifier]))
    await run_at(services, clock, NUDGE_AT + timedelta(minutes=1))  # the first backoff: the claim was given back
    assert len(notifier.directs) == 1

    services.runner.serve(*bind_duties(services, [Failing(Undeliverable("the member closed their DMs"))]))
    await run_at(services, clock, at("2026-11-25T21:00", "UTC"))  # Wednesday, at risk again: DMs closed
    outcome = await services.duties.outcome(NUDGE, f"{COMMUNITY}|console:ana|2026-11-25")
    assert outcome[0] == "skipped" and outcome[1] == 1
    assert len(await services.duties.pending(NUDGE, member_scope(COMMUNITY, "console:ana"))) == 1  # Thursday's


async def test_a_lost_nudge_plan_is_planned_again_by_the_sweep(console, services, clock):
    await at_risk(console, clock)
    scope = member_scope(COMMUNITY, "console:ana")
    await services.duties.drop_pending(NUDGE, scope)
    await services.nudges.plan_missing(frozenset({"discord"}))  # another platform's process leaves it alone
    assert await services.duties.pending(NUDGE, scope) == []
    await services.nudges.plan_missing(frozenset({"console"}))
    assert [d.due_at for d in await services.duties.pending(NUDGE, scope)] == [NUDGE_AT]


# -- the live leaderboard --------------------------------------------------------------------------------------------
def boards(notifier: CollectingNotifier) -> list[tuple[int, str]]:
    return [(index, channel) for index, (channel, reply) in enumerate(notifier.posts)
            if reply.cards and reply.cards[0].title.startswith("🏆")]


async def test_the_live_board_edits_one_message_at_most_once_a_slot(console, services, clock, notifier, database):
    admin = console("ada", admin=True)
    refused = await console("mallory").send("/rounds leaderboard-post")
    assert refused.private and "Only community admins" in refused.text
    started = await admin.send("/rounds leaderboard-post metric:checkins period:week")
    assert "#general" in started.text
    await services.runner.run_due()
    assert boards(notifier) == [(0, "general")]
    first = read(notifier.posts[0][1])
    assert first.text == "" and "Updated Tue 24 Nov, 10:00 UTC · refreshed every few minutes" in first.cards[0].footer
    assert "Nobody yet" in first.cards[0].body

    for minute, name in ((1, "ana"), (2, "bo"), (3, "ana"), (4, "cy")):  # a burst of check-ins in one slot
        clock.set(at(f"2026-11-24T10:0{minute}", "UTC"))
        await console(name).send("/checkin")
    assert await services.runner.run_due() == 0
    await run_at(services, clock, at("2026-11-24T10:05", "UTC"))
    again = await restarted(database, clock, notifier)  # a second process waking in the same slot
    await run_at(again, clock, at("2026-11-24T10:06", "UTC"))
    assert [(channel, message) for channel, message, _ in notifier.edits] == [("general", "0")]
    body = notifier.current("0").cards[0].body
    assert body.splitlines() == ["1. ana — 1 check-in day", "1. bo — 1 check-in day", "1. cy — 1 check-in day"]
    assert "Updated Tue 24 Nov, 10:05 UTC" in read(notifier.current("0")).cards[0].footer

    await console("dee").send("/checkin")  # 10:06: the next slot
    await run_at(again, clock, at("2026-11-24T10:10", "UTC"))
    await again.close()
    assert len(notifier.edits) == 2 and len(boards(notifier)) == 1
    assert "dee" in notifier.current("0").cards[0].body
    pending = [d.due_at for d in await services.duties.pending(REFRESH, COMMUNITY)]
    assert pending == [at("2026-11-25T00:00", "UTC")]  # tonight's refresh: a new day's streaks and weeks


async def test_a_deleted_board_is_posted_afresh_and_kept_up_to_date(console, services, clock, notifier):
    admin = console("ada", admin=True)
    await admin.send("/rounds leaderboard-post")
    await services.runner.run_due()
    notifier.deleted.add("0")
    await console("ana").send("/checkin")
    await run_at(services, clock, at("2026-11-24T10:05", "UTC"))
    assert boards(notifier) == [(0, "general"), (1, "general")] and notifier.edits == []
    assert (await services.boards.current(COMMUNITY)).message_id == "1"
    clock.set(at("2026-11-24T10:07", "UTC"))
    await console("bo").send("/checkin")
    await run_at(services, clock, at("2026-11-24T10:10", "UTC"))
    assert [message for _, message, _ in notifier.edits] == ["1"]
    assert re.search(r"1\. (ana|bo) — 1 day", notifier.current("1").cards[0].body)


async def test_stopping_the_live_board(console, services, clock, notifier):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel channel:study-hall")
    await admin.send("/rounds leaderboard-post")
    await services.runner.run_due()
    assert [channel for _, channel in boards(notifier)] == ["study-hall"]  # the daily question's channel
    assert "no longer updated" in (await admin.send("/rounds leaderboard-post stop:true")).text
    assert "no live leaderboard" in (await admin.send("/rounds leaderboard-post stop:true")).text
    await console("ana").send("/checkin")
    assert await services.duties.pending(REFRESH, COMMUNITY) == []
    await run_at(services, clock, at("2026-11-24T10:05", "UTC"))
    assert notifier.edits == [] and len(boards(notifier)) == 1
