"""SessionService as members and authors use it, on SQLite and PostgreSQL: reminders at each member's lead time,
edits and cancellations that re-plan and tell, "I'm here" counted once as streak activity, the .ics read back, and
bad input refused with a UserError that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from core.community.members import Member
from core.errors import UserError
from core.sessions.local import to_wall
from core.sessions.model import Counts
from core.sessions.service import DEFAULT_LEAD, END, REMIND, START, TELL
from tests.unit.session_kit import (
    AUTHOR,
    CHANNEL,
    COMMUNITY,
    NEW_YORK,
    OTHER,
    due_of,
    member,
    new_session,
    okey,
    pending,
    pending_keys,
    rkey,
)

STARTS = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 2026-11-26 19:00 in New York
ALICE, BOB = member("alice"), member("bob")


# -- reminders ---------------------------------------------------------------------------------------------------
async def test_going_plans_a_reminder_at_the_default_lead_and_withdrawing_drops_it(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert await due_of(services, REMIND, rkey(session, STARTS, ALICE)) == STARTS - timedelta(minutes=DEFAULT_LEAD)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert await pending(services, REMIND) == []


async def test_a_new_lead_time_moves_pending_reminders(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    await services.sessions.answer(COMMUNITY, 1, BOB, "going")
    assert await services.sessions.set_lead(ALICE, 30) == 1
    assert await due_of(services, REMIND, rkey(session, STARTS, ALICE)) == STARTS - timedelta(minutes=30)
    assert await due_of(services, REMIND, rkey(session, STARTS, BOB)) == STARTS - timedelta(minutes=15)
    assert await services.sessions.lead(ALICE.id) == 30
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")  # withdraw, then again: the new lead holds
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert await due_of(services, REMIND, rkey(session, STARTS, ALICE)) == STARTS - timedelta(minutes=30)


@pytest.mark.parametrize("minutes", [0, 4, 121, -15])
async def test_a_lead_time_out_of_range_is_refused(services, clock, minutes):
    with pytest.raises(UserError, match="from 5 to 120"):
        await services.sessions.set_lead(ALICE, minutes)
    assert await services.sessions.lead(ALICE.id) == DEFAULT_LEAD


async def test_going_five_minutes_before_the_start_is_reminded_now(services, clock):
    session = await new_session(services, clock)
    clock.set(STARTS - timedelta(minutes=5))
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    assert await due_of(services, REMIND, rkey(session, STARTS, ALICE)) == clock.now()


# -- edit and cancel ---------------------------------------------------------------------------------------------
async def test_an_edit_to_a_new_time_replans_and_tells_those_going(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    later = STARTS + timedelta(days=1)
    saved, seated = await services.sessions.edit(session, when=later, wall=to_wall(later, NEW_YORK), zone=NEW_YORK)
    assert seated == [] and saved.start == later and saved.next_at == later and saved.version == 2
    assert await due_of(services, START, okey(session, later)) == later
    assert await due_of(services, END, okey(session, later)) == later + timedelta(hours=1)
    assert await due_of(services, REMIND, rkey(session, later, ALICE)) == later - timedelta(minutes=15)
    told = [d.payload for d in await pending(services, TELL)]
    assert [(t["member"], t["what"], t["about"]) for t in told] == [(ALICE.id, "moved", "2026-11-28T00:00:00.000000+00:00")]
    assert (await services.sessions.find(COMMUNITY, 1)).next_at == later


async def test_an_edit_of_the_time_alone_keeps_the_zone_and_moves_the_wall_time(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    later = STARTS + timedelta(hours=2)
    saved, _ = await services.sessions.edit(session, when=later)
    assert saved.start == later and saved.next_at == later
    assert saved.wall == datetime(2026, 11, 26, 21, 0) and saved.zone == NEW_YORK
    assert saved.following(later) == later + timedelta(days=7)


async def test_an_edit_into_the_past_is_refused_and_changes_nothing(services, clock):
    session = await new_session(services, clock)
    for when in (clock.now() - timedelta(days=1), clock.now() - timedelta(minutes=10), clock.now()):
        with pytest.raises(UserError, match="past"):
            await services.sessions.edit(session, when=when, wall=to_wall(when, NEW_YORK), zone=NEW_YORK)
    kept = await services.sessions.find(COMMUNITY, 1)
    assert (kept.start, kept.next_at, kept.version) == (STARTS, STARTS, 1)
    assert await pending_keys(services, START) == {okey(session, STARTS)}


@pytest.mark.parametrize("change", [{"capacity": 0}, {"capacity": -3}, {"capacity": 501}, {"minutes": 5},
                                    {"minutes": -60}, {"minutes": 481}, {"topic": "   "}, {"topic": "x" * 201},
                                    {"link": "javascript:alert(1)"}, {"link": "https://zoom.us@evil.example"}])
async def test_an_edit_with_a_bad_value_is_a_user_error_and_changes_nothing(services, clock, change):
    session = await new_session(services, clock, capacity=2, link="https://zoom.us/j/1")
    with pytest.raises(UserError):
        await services.sessions.edit(session, **change)
    kept = await services.sessions.find(COMMUNITY, 1)
    assert kept == session


async def test_an_edit_cleans_the_topic_and_clears_the_link(services, clock):
    session = await new_session(services, clock, link="https://zoom.us/j/1")
    saved, _ = await services.sessions.edit(session, topic="  OET\nspeaking  ", link="")
    assert saved.topic == "OET speaking" and saved.link is None


async def test_a_cancelled_session_refuses_answers_and_tells_those_going(services, clock):
    session = await new_session(services, clock)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    cancelled = await services.sessions.cancel(session)
    assert cancelled.cancelled_at == clock.now() and cancelled.next_at is None
    told = [(d.payload["member"], d.payload["what"]) for d in await pending(services, TELL)]
    assert told == [(ALICE.id, "cancelled")]
    with pytest.raises(UserError, match="cancelled"):
        await services.sessions.answer(COMMUNITY, 1, BOB, "going")
    with pytest.raises(UserError, match="cancelled"):
        await services.sessions.cancel(await services.sessions.find(COMMUNITY, 1))
    assert await services.sessions.upcoming(COMMUNITY) == []
    assert (await services.sessions.store.counts(session.id)) == Counts(going=1)


async def test_a_one_off_has_no_week_to_cancel_alone(services, clock):
    session = await new_session(services, clock)
    with pytest.raises(UserError, match="weekly"):
        await services.sessions.cancel(session, STARTS)


async def test_a_week_that_is_no_occurrence_or_already_over_cannot_be_cancelled_alone(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    with pytest.raises(UserError):
        await services.sessions.cancel(session, STARTS + timedelta(hours=1))
    clock.set(STARTS + timedelta(days=8))  # the first week is over
    with pytest.raises(UserError):
        await services.sessions.cancel(session, STARTS)
    kept = await services.sessions.find(COMMUNITY, 1)
    assert kept.excluded == frozenset()


async def test_an_over_session_refuses_answers(services, clock):
    await new_session(services, clock)
    clock.set(STARTS + timedelta(hours=1))
    with pytest.raises(UserError, match="over"):
        await services.sessions.answer(COMMUNITY, 1, ALICE, "going")


async def test_an_unknown_number_says_what_to_type(services, clock):
    with pytest.raises(UserError, match="/study list"):
        await services.sessions.answer(COMMUNITY, 7, ALICE, "going")
    await new_session(services, clock, community=OTHER)
    with pytest.raises(UserError):
        await services.sessions.answer(COMMUNITY, 1, ALICE, "going")  # #1 is another community's


async def test_a_member_of_another_platform_cannot_answer(services, clock):
    await new_session(services, clock)
    with pytest.raises(ValueError):
        await services.sessions.answer(COMMUNITY, 1, Member("slack:U1", "Intruder"), "going")


@pytest.mark.parametrize("pressed", ["waiting", "yes", ""])
async def test_a_press_that_is_no_button_is_refused_before_anything_is_stored(services, clock, pressed):
    session = await new_session(services, clock, capacity=1)
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    with pytest.raises(ValueError):
        await services.sessions.answer(COMMUNITY, 1, BOB, pressed)
    assert await services.sessions.store.counts(session.id) == Counts(going=1)


# -- listing -----------------------------------------------------------------------------------------------------
async def test_upcoming_and_mine_list_what_is_still_to_come(services, clock):
    await new_session(services, clock)
    await new_session(services, clock, "2026-11-25 19:00", topic="sooner")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    await services.sessions.answer(COMMUNITY, 2, ALICE, "maybe")
    assert [s.session.number for s in await services.sessions.upcoming(COMMUNITY)] == [2, 1]
    assert [(s.session.number, status) for s, status in await services.sessions.mine(COMMUNITY, ALICE.id)] == [
        (2, "maybe"), (1, "going")]
    clock.set(STARTS + timedelta(minutes=30))  # #1 is on, #2 is over
    assert [s.session.number for s in await services.sessions.upcoming(COMMUNITY)] == [1]


# -- attendance --------------------------------------------------------------------------------------------------
async def test_im_here_opens_ten_minutes_before_and_closes_at_the_end(services, clock):
    await new_session(services, clock)
    clock.set(STARTS - timedelta(minutes=11))
    with pytest.raises(UserError, match="isn't on yet"):
        await services.sessions.attend(COMMUNITY, ALICE, 1, CHANNEL)
    clock.set(STARTS - timedelta(minutes=10))
    _, occurrence, first = await services.sessions.attend(COMMUNITY, ALICE, 1, CHANNEL)
    assert occurrence == STARTS and first is True
    clock.set(STARTS + timedelta(minutes=59, seconds=59))
    assert (await services.sessions.attend(COMMUNITY, BOB, 1, CHANNEL))[2] is True
    clock.set(STARTS + timedelta(hours=1))
    with pytest.raises(UserError, match="over"):
        await services.sessions.attend(COMMUNITY, member("carol"), 1, CHANNEL)


async def test_im_here_twice_counts_once_and_is_a_streak_of_one(services, clock):
    session = await new_session(services, clock)
    clock.set(STARTS + timedelta(minutes=5))
    assert (await services.sessions.attend(COMMUNITY, ALICE, 1, None))[2] is True
    assert (await services.sessions.attend(COMMUNITY, ALICE, 1, None))[2] is False
    summary = await services.streaks.summary(COMMUNITY, ALICE.id)
    assert summary.streak.current == 1
    assert summary.totals["session"].count == 1
    assert await services.sessions.attended(session) == [(STARTS, ["Alice"])]


async def test_attended_lists_names_by_occurrence_latest_first(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    clock.set(STARTS)
    await services.sessions.attend(COMMUNITY, ALICE, 1, None)
    await services.occurrences.ended(await _end_duty(services, session, STARTS))
    week2 = STARTS + timedelta(days=7)
    clock.set(week2)
    await services.sessions.attend(COMMUNITY, BOB, 1, None)
    clock.advance(minutes=1)
    await services.sessions.attend(COMMUNITY, ALICE, 1, None)
    assert await services.sessions.attended(session) == [(week2, ["Bob", "Alice"]), (STARTS, ["Alice"])]


async def _end_duty(services, session, occurrence):  # type: ignore[no-untyped-def]
    return [d for d in await pending(services, END) if d.key == okey(session, occurrence)][0]


async def test_im_here_without_a_number_picks_the_session_on_in_this_channel(services, clock):
    await new_session(services, clock)  # #1 in CHANNEL
    await new_session(services, clock, channel="other-room", topic="OET")  # #2 at the same time elsewhere
    await new_session(services, clock, "2026-11-27 19:00", topic="later")  # #3 the next day
    clock.set(STARTS + timedelta(minutes=1))
    session, _, _ = await services.sessions.attend(COMMUNITY, ALICE, None, CHANNEL)
    assert session.number == 1
    session, _, _ = await services.sessions.attend(COMMUNITY, ALICE, None, "other-room")
    assert session.number == 2
    with pytest.raises(UserError, match=r"#1, #2"):
        await services.sessions.attend(COMMUNITY, ALICE, None, "a-third-room")
    clock.set(STARTS + timedelta(hours=3))
    with pytest.raises(UserError, match="No session is on"):
        await services.sessions.attend(COMMUNITY, ALICE, None, CHANNEL)


async def test_im_here_without_a_number_in_a_sessions_thread_picks_that_session(services, clock):
    await new_session(services, clock)
    second = await new_session(services, clock, topic="OET")  # both in CHANNEL, at the same time
    await services.occurrences.thread_opened(second, "thread-2")
    clock.set(STARTS)
    session, _, _ = await services.sessions.attend(COMMUNITY, ALICE, None, "thread-2")
    assert session.number == 2
    with pytest.raises(UserError, match="Several"):
        await services.sessions.attend(COMMUNITY, ALICE, None, CHANNEL)


async def test_im_here_at_a_cancelled_session_is_refused(services, clock):
    session = await new_session(services, clock)
    await services.sessions.cancel(session)
    clock.set(STARTS)
    with pytest.raises(UserError, match="cancelled"):
        await services.sessions.attend(COMMUNITY, ALICE, 1, CHANNEL)
    with pytest.raises(UserError, match="No session is on"):
        await services.sessions.attend(COMMUNITY, ALICE, None, CHANNEL)


# -- the calendar ------------------------------------------------------------------------------------------------
def _event(data: bytes):  # type: ignore[no-untyped-def]
    events = Calendar.from_ical(data).walk("VEVENT")
    assert len(events) == 1
    return events[0]


async def test_the_ics_of_a_one_off_has_its_instants(services, clock):
    session = await new_session(services, clock, minutes=90, link="https://zoom.us/j/1")
    event = _event(services.sessions.calendar(session, "IMG Study"))
    assert event.decoded("dtstart").astimezone(UTC) == STARTS
    assert event.decoded("dtend").astimezone(UTC) == STARTS + timedelta(minutes=90)
    assert event["dtstart"].params["TZID"] == NEW_YORK
    assert "rrule" not in event and str(event["url"]) == "https://zoom.us/j/1"
    assert "#1 · IMG Study" in str(event["description"])


async def test_the_ics_of_a_weekly_session_has_its_rule_and_the_week_cancelled(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    week2 = STARTS + timedelta(days=7)
    cancelled = await services.sessions.cancel(session, week2)
    event = _event(services.sessions.calendar(cancelled))
    assert event.decoded("rrule")["FREQ"] == ["WEEKLY"]
    exdates = [d.dt for d in event["exdate"].dts]
    assert [d.astimezone(UTC) for d in exdates] == [week2]
    assert event.decoded("dtstart").astimezone(UTC) == STARTS


async def test_author_is_remembered_by_name(services, clock):
    await new_session(services, clock)
    assert await services.people.names([AUTHOR.id]) == {AUTHOR.id: "Author"}


# -- changes that race -------------------------------------------------------------------------------------------
async def test_an_edit_after_a_weeks_end_not_yet_run_plans_the_week_it_moves_to(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    clock.set(STARTS + timedelta(hours=1, minutes=1))  # over; its END not run yet (a busy runner, a restart)
    saved, _ = await services.sessions.edit(session, topic="UWorld block 13")
    week2 = STARTS + timedelta(days=7)
    assert saved.next_at == week2
    assert await due_of(services, START, okey(session, week2)) == week2
    assert await due_of(services, REMIND, rkey(session, week2, ALICE)) == week2 - timedelta(minutes=15)


async def test_a_week_cancelled_after_a_weeks_end_not_yet_run_plans_the_week_after(services, clock):
    session = await new_session(services, clock, repeat="weekly")
    clock.set(STARTS + timedelta(hours=2))
    week2, week3 = STARTS + timedelta(days=7), STARTS + timedelta(days=14)
    saved = await services.sessions.cancel(session, week3)
    assert saved.next_at == week2
    assert await due_of(services, START, okey(session, week2)) == week2


async def test_a_change_made_on_a_stale_read_is_refused_not_written_over_another(services, clock):
    read = await new_session(services, clock, repeat="weekly")  # two admins look at #1
    await services.sessions.answer(COMMUNITY, 1, ALICE, "going")
    later = STARTS + timedelta(hours=2)
    moved, _ = await services.sessions.edit(read, when=later)  # one moves it
    with pytest.raises(UserError, match="changed"):
        await services.sessions.cancel(read, STARTS + timedelta(days=7))  # the other cancels a week of the old time
    with pytest.raises(UserError, match="changed"):
        await services.sessions.edit(read, topic="stale")
    kept = await services.sessions.find(COMMUNITY, 1)
    assert kept == moved and kept.start == later and kept.excluded == frozenset()
    await services.sessions.cancel(kept)
    with pytest.raises(UserError, match="changed"):
        await services.sessions.edit(moved, topic="after the cancel")  # a stale edit never brings it back
    assert (await services.sessions.find(COMMUNITY, 1)).cancelled_at is not None
