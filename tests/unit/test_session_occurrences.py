"""What the sessions' duties find when they wake, on SQLite and PostgreSQL: the weekly chain of START and END across
the 2026 DST weeks (US 03-08 and 11-01, EU 03-29 and 10-25), a week cancelled alone, a long stop, a restart, the
sweep that plans what was lost, and reminders and messages that skip once they no longer hold and are claimed once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from commands.notifier import CollectingNotifier, direct_once
from commands.replies import Reply
from core.bootstrap import build
from core.sessions.local import to_wall
from core.sessions.model import Counts
from core.sessions.service import END, REMIND, START, TELL
from core.settings import Settings
from tests.unit.session_kit import (
    BERLIN,
    COMMUNITY,
    NEW_YORK,
    due_of,
    duty,
    member,
    new_session,
    okey,
    pending,
    pending_keys,
    rkey,
)

STARTS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # Thursday 2026-11-26 19:00 in New York
WEEK = timedelta(days=7)
ALICE, BOB = member("alice"), member("bob")
CONSOLE = frozenset({"console"})


async def end_occurrence(services, clock, session, occurrence):  # type: ignore[no-untyped-def]
    """The END duty of `occurrence` run at its time: the session moves on."""
    clock.set(max(clock.now(), session.ends(occurrence)))
    await services.occurrences.ended(await duty(services, END, okey(session, occurrence)))
    return await services.sessions.find(COMMUNITY, session.number)


# -- the weekly chain --------------------------------------------------------------------------------------------
async def test_the_end_of_a_week_plans_the_next_with_its_reminders(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    moved = await end_occurrence(services, clock, session, STARTS)
    week2 = STARTS + WEEK
    assert moved.next_at == week2
    assert await due_of(services, START, okey(session, week2)) == week2
    assert await due_of(services, END, okey(session, week2)) == week2 + timedelta(hours=1)
    assert await due_of(services, REMIND, rkey(session, week2, ALICE)) == week2 - timedelta(minutes=15)
    shown = await services.sessions.shown(moved)
    assert shown.occurrence == week2 and shown.counts == Counts(going=1)  # an RSVP holds for the series


async def test_an_end_run_twice_or_by_two_processes_moves_on_once(database, clock):
    first = await build(Settings(db_path=database), clock=clock)
    second = await build(Settings(db_path=database), clock=clock)
    try:
        session = await new_session(first, clock, repeat="weekly")
        clock.set(session.ends(STARTS))
        end = await duty(first, END, okey(session, STARTS))
        await asyncio.gather(first.occurrences.ended(end), second.occurrences.ended(end))
        await first.occurrences.ended(end)
        assert (await first.sessions.find(COMMUNITY, 1)).next_at == STARTS + WEEK
        assert await pending_keys(first, START) == {okey(session, STARTS), okey(session, STARTS + WEEK)}
    finally:
        await first.close()
        await second.close()


async def test_a_one_off_is_over_after_its_end(services, clock):
    session = await new_session(services, clock)
    over = await end_occurrence(services, clock, session, STARTS)
    assert over.next_at is None and not over.live
    assert await services.sessions.upcoming(COMMUNITY) == []
    assert (await services.sessions.shown(over)).occurrence is None


@pytest.mark.parametrize(("zone", "first", "weeks"), [
    # 19:00 every Thursday across the US change of 2026-03-08: 00:00 UTC (EST) then 23:00 UTC the day before (EDT)
    (NEW_YORK, datetime(2026, 3, 5, 19, 0), [datetime(2026, 3, 6, 0, tzinfo=UTC), datetime(2026, 3, 12, 23, tzinfo=UTC),
                                             datetime(2026, 3, 19, 23, tzinfo=UTC)]),
    # and across 2026-11-01 back: 23:00 UTC (EDT) then 00:00 UTC (EST)
    (NEW_YORK, datetime(2026, 10, 29, 19, 0), [datetime(2026, 10, 29, 23, tzinfo=UTC), datetime(2026, 11, 6, 0, tzinfo=UTC),
                                               datetime(2026, 11, 13, 0, tzinfo=UTC)]),
    # Berlin, Friday 19:00 across 2026-03-29: 18:00 UTC (CET) then 17:00 UTC (CEST)
    (BERLIN, datetime(2026, 3, 27, 19, 0), [datetime(2026, 3, 27, 18, tzinfo=UTC), datetime(2026, 4, 3, 17, tzinfo=UTC),
                                            datetime(2026, 4, 10, 17, tzinfo=UTC)]),
    # and across 2026-10-25: 17:00 UTC (CEST) then 18:00 UTC (CET)
    (BERLIN, datetime(2026, 10, 23, 19, 0), [datetime(2026, 10, 23, 17, tzinfo=UTC), datetime(2026, 10, 30, 18, tzinfo=UTC),
                                             datetime(2026, 11, 6, 18, tzinfo=UTC)]),
])
async def test_a_weekly_session_stays_at_its_local_time_across_dst(services, clock, zone, first, weeks):
    clock.set(datetime(first.year, first.month, first.day, 0, tzinfo=UTC) - timedelta(days=2))
    session = await new_session(services, clock, first.strftime("%Y-%m-%d %H:%M"), zone, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert session.next_at == weeks[0]
    for this, following in zip(weeks, weeks[1:], strict=False):
        moved = await end_occurrence(services, clock, session, this)
        assert moved.next_at == following
        assert to_wall(following, zone).time() == first.time()
        assert await due_of(services, START, okey(session, following)) == following
        assert await due_of(services, REMIND, rkey(session, following, ALICE)) == following - timedelta(minutes=15)


async def test_a_week_cancelled_alone_is_skipped_its_people_told_and_the_next_week_happens(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    week2, week3 = STARTS + WEEK, STARTS + 2 * WEEK
    cancelled = await services.sessions.cancel(session, week2)
    assert cancelled.next_at == STARTS and cancelled.cancelled_at is None
    told = [d.payload for d in await pending(services, TELL)]
    assert [(t["member"], t["what"], t["about"]) for t in told] == [(ALICE.id, "week-cancelled", "2026-12-04T00:00:00.000000+00:00")]
    telling = await services.occurrences.telling((await pending(services, TELL))[0])
    assert telling is not None and telling.occurrence == week2 and telling.what == "week-cancelled"

    moved = await end_occurrence(services, clock, session, STARTS)
    assert moved.next_at == week3
    assert okey(session, week2) not in await pending_keys(services, START)
    assert await due_of(services, START, okey(session, week3)) == week3


async def test_cancelling_the_week_next_moves_the_session_on_and_its_duties_skip(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    start1 = await duty(services, START, okey(session, STARTS))
    remind1 = await duty(services, REMIND, rkey(session, STARTS, ALICE))
    end1 = await duty(services, END, okey(session, STARTS))
    cancelled = await services.sessions.cancel(session, STARTS)
    week2 = STARTS + WEEK
    assert cancelled.next_at == week2
    assert await due_of(services, START, okey(session, week2)) == week2
    assert await due_of(services, REMIND, rkey(session, week2, ALICE)) == week2 - timedelta(minutes=15)
    clock.set(STARTS)
    assert await services.occurrences.starting(start1) is None
    assert await services.occurrences.reminder(remind1) is None
    clock.set(STARTS + timedelta(hours=1))
    await services.occurrences.ended(end1)
    assert (await services.sessions.find(COMMUNITY, 1)).next_at == week2  # not moved on a second time


async def test_an_end_that_wakes_after_a_long_stop_moves_past_the_weeks_missed(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    end = await duty(services, END, okey(session, STARTS))
    clock.set(STARTS + 3 * WEEK + timedelta(days=2))  # weeks 2, 3 and 4 went by with the bot stopped
    await services.occurrences.ended(end)
    week5 = STARTS + 4 * WEEK
    assert (await services.sessions.find(COMMUNITY, 1)).next_at == week5
    assert await due_of(services, START, okey(session, week5)) == week5
    assert {okey(session, STARTS + n * WEEK) for n in (1, 2, 3)}.isdisjoint(await pending_keys(services, START))


# -- restart and the sweep ---------------------------------------------------------------------------------------
async def test_a_restarted_process_sees_the_duties_planned_before(database, clock):
    before = await build(Settings(db_path=database), clock=clock)
    try:
        session = await new_session(before, clock, repeat="weekly")
        await before.sessions.answer(COMMUNITY, 1, ALICE, "going")
    finally:
        await before.close()
    after = await build(Settings(db_path=database), clock=clock)
    try:
        assert await pending_keys(after, START) == {okey(session, STARTS)}
        assert await pending_keys(after, REMIND) == {rkey(session, STARTS, ALICE)}
        moved = await end_occurrence(after, clock, session, STARTS)
        assert moved.next_at == STARTS + WEEK
    finally:
        await after.close()


async def test_the_sweep_plans_an_occurrence_whose_start_was_lost(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    key = okey(session, STARTS)
    assert await services.duties.drop(START, [key]) == 1
    assert await services.duties.drop(REMIND, [rkey(session, STARTS, ALICE)]) == 1
    await services.occurrences.plan_missing(frozenset({"discord"}))  # not this process's platform
    await services.occurrences.plan_missing(frozenset())  # none at all
    assert await pending_keys(services, START) == set()
    await services.occurrences.plan_missing(CONSOLE)
    assert await due_of(services, START, key) == STARTS
    assert await due_of(services, REMIND, rkey(session, STARTS, ALICE)) == STARTS - timedelta(minutes=15)
    await services.occurrences.plan_missing(CONSOLE)  # nothing missing: nothing planned twice
    assert len(await pending(services, START)) == 1


async def test_the_sweep_leaves_cancelled_and_over_sessions_alone(services, clock):
    cancelled = await new_session(services, clock)
    over = await new_session(services, clock, topic="over")
    await services.sessions.cancel(cancelled)
    await end_occurrence(services, clock, over, STARTS)
    await services.duties.drop(START, [okey(cancelled, STARTS), okey(over, STARTS)])
    await services.occurrences.plan_missing(CONSOLE)
    assert await pending(services, START) == []


async def test_the_sweep_moves_on_an_occurrence_missed_while_stopped(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    key = okey(session, STARTS)
    await services.duties.drop(START, [key])
    await services.duties.drop(END, [key])
    clock.set(STARTS + WEEK + timedelta(days=1))
    await services.occurrences.plan_missing(CONSOLE)
    start = await duty(services, START, key)
    assert await services.occurrences.starting(start) is None  # over: no "starting now" a week late
    await services.occurrences.ended(await duty(services, END, key))
    assert (await services.sessions.find(COMMUNITY, 1)).next_at == STARTS + 2 * WEEK


# -- what each duty finds ----------------------------------------------------------------------------------------
async def test_a_reminder_is_found_while_it_holds_and_claimed_once(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    remind = await duty(services, REMIND, rkey(session, STARTS, ALICE))
    clock.set(remind.due_at)
    direct = await services.occurrences.reminder(remind)
    assert direct is not None and direct.member_id == ALICE.id and direct.occurrence == STARTS
    assert direct.what == "reminder" and direct.shown.counts == Counts(going=1)
    failing, notifier = Failing(), CollectingNotifier()
    with pytest.raises(ConnectionError):  # the platform surely did not deliver: the claim is given back
        await direct_once(failing, services.duties, direct.claim, direct.member_id, Reply(text="x"))
    assert await direct_once(notifier, services.duties, direct.claim, direct.member_id, Reply(text="x")) is None
    assert await direct_once(notifier, services.duties, direct.claim, direct.member_id, Reply(text="x")) == "skipped"
    assert [to for to, _ in notifier.directs] == [ALICE.id]  # once, whatever the attempts


class Failing(CollectingNotifier):
    async def direct(self, member_id: str, reply: Reply) -> None:
        raise ConnectionError("the platform did not answer")


async def test_a_reminder_still_sent_late_while_the_session_runs_but_not_once_over(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    remind = await duty(services, REMIND, rkey(session, STARTS, ALICE))
    clock.set(STARTS + timedelta(minutes=59))
    assert await services.occurrences.reminder(remind) is not None
    clock.set(STARTS + timedelta(hours=1))
    assert await services.occurrences.reminder(remind) is None


async def test_a_reminder_skips_after_a_withdrawal(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    remind = await duty(services, REMIND, rkey(session, STARTS, ALICE))  # already in a runner's hands
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert await services.occurrences.reminder(remind) is None


async def test_a_reminder_skips_after_the_session_is_cancelled(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    remind = await duty(services, REMIND, rkey(session, STARTS, ALICE))
    await services.sessions.cancel(session)
    assert await services.occurrences.reminder(remind) is None
    assert await services.occurrences.starting(await duty(services, START, okey(session, STARTS))) is None


async def test_a_reminder_skips_after_an_edit_to_a_new_time_and_the_new_one_holds(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    old = await duty(services, REMIND, rkey(session, STARTS, ALICE))
    later = STARTS + timedelta(hours=3)
    await services.sessions.edit(session, when=later)
    assert await services.occurrences.reminder(old) is None
    assert await services.occurrences.starting(await duty(services, START, okey(session, STARTS))) is None
    new = await duty(services, REMIND, rkey(session, later, ALICE))
    assert (await services.occurrences.reminder(new)) is not None


async def test_starting_finds_the_occurrence_and_its_counts(services, clock):
    session = await new_session(services, clock, capacity=1)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    await services.sessions.answer(COMMUNITY, 1, BOB, "going")
    clock.set(STARTS)
    shown = await services.occurrences.starting(await duty(services, START, okey(session, STARTS)))
    assert shown is not None and shown.occurrence == STARTS and shown.counts == Counts(going=1, waiting=1)


async def test_a_seated_message_skips_once_the_member_gave_the_seat_up(services, clock):
    await new_session(services, clock, capacity=1)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    await services.sessions.answer(COMMUNITY, 1, BOB, "going")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")  # bob is seated
    (tell,) = await pending(services, TELL)
    direct = await services.occurrences.telling(tell)
    assert direct is not None and direct.member_id == BOB.id and direct.what == "seated"
    assert direct.claim.kind == "sessions.told" and direct.claim.key == tell.key  # sent once, under its own key
    await services.sessions.answer(COMMUNITY, 1, BOB, "cant")
    assert await services.occurrences.telling(tell) is None


async def test_the_card_of_a_session_without_a_channel_is_not_posted(services, clock):
    await new_session(services, clock, channel=None)
    await new_session(services, clock, topic="with a channel")
    posts = {d.payload["session"]: d for d in await pending(services, "sessions.post")}
    found = [await services.occurrences.card(d) for d in posts.values()]
    assert [None if f is None else f.session.number for f in found] == [None, 2]

