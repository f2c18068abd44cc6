"""Study sessions through the console harness, down to the database (SQLite, then PostgreSQL) and the duties the
runner runs through the collecting notifier: plain-language times in the author's zone, the card and its live
counts, RSVP with a waitlist, the host's edits and cancellations, reminders (once, across a restart, caught up or
skipped), weekly sessions across the 2026 DST weeks, the calendar file, attendance and its streak, bad input.

The clock is the test's FrozenClock; nothing runs unless a test calls `runner.run_due()`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from bots.console.render import render
from commands.moments import fallback, localize
from commands.notifier import CollectingNotifier
from commands.replies import Reply
from commands.runtime import bind_duties
from commands.sessions.views import RSVP_ACTION
from core.bootstrap import build
from core.settings import Settings
from core.storage.schema import rsvps, sessions
from core.storage.transfer import forget_member, member_data

START = datetime(2026, 12, 7, 10, tzinfo=UTC)  # a Monday


def at(text: str, zone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def read(reply: Reply) -> str:
    """The reply as the console shows it (every moment written in the zone it names), in one string."""
    return localize(reply, fallback).plain_text()


async def count(services, table=sessions) -> int:
    return (await services.db.fetchone(select(func.count().label("n")).select_from(table)))["n"]


async def press(member, number: int, answer: str) -> Reply:
    return await member.dispatcher.press(member.context, f"rounds:{RSVP_ACTION}:{number}:{answer}")


def cards(notifier: CollectingNotifier) -> list[Reply]:
    return [reply for _, reply in notifier.posts if reply.cards and reply.cards[0].title.startswith("📅 #")]


def directs_to(notifier: CollectingNotifier, member: str) -> list[str]:
    return [read(reply) for to, reply in notifier.directs if to == f"console:{member}"]


@pytest.fixture
def karachi(console, clock):
    async def make(user: str = "host", **kwargs):
        clock.set(START)
        member = console(user, **kwargs)
        await member.send("/timezone zone:Asia/Karachi")
        return member
    return make


async def test_a_session_in_plain_language_is_shown_back_in_full_with_its_number_and_buttons(karachi, services,
                                                                                            notifier):
    host = await karachi()
    reply = await host.send("/study new topic:UWorld block 12 review when:tue 8pm")
    assert "Session **#1** is set for **Tuesday 8 December, 20:00 Asia/Karachi**" in reply.text
    assert [b.label for b in reply.buttons] == ["Going", "Maybe", "Can't"]
    assert reply.private
    await services.runner.run_due()
    posted = cards(notifier)
    assert len(posted) == 1 and posted[0].cards[0].title == "📅 #1 · UWorld block 12 review"
    assert "Tuesday 8 December, 20:00 Asia/Karachi" in read(posted[0])
    second = await host.send('/study new topic:"OET speaking" when:"2026-12-15 20:00" duration:90 capacity:4')
    assert "#2" in second.text and "Tuesday 15 December, 20:00 Asia/Karachi" in second.text


@pytest.mark.parametrize("line, words", [
    ("/study new topic:Cardio when:yesterday 8pm", "already passed"),
    ("/study new topic:Cardio when:next blursday", "`tue 8pm`"),
    ("/study new topic:" + "x" * 500 + " when:tue 8pm", "limit is 200"),
    ("/study new topic:Cardio when:tue 8pm link:ftp://files.example/x", "https://"),
    ("/study new topic:Cardio when:tue 8pm link:javascript:alert(1)", "https://"),
    ("/study new topic:Cardio when:tue 8pm duration:10", "15"),
    ("/study new topic:Cardio when:tue 8pm duration:500", "480"),
    ("/study new topic:Cardio when:tue 8pm capacity:0", "capacity"),
    ("/study new topic:Cardio", "needs `when`"),
])
async def test_bad_input_is_refused_with_one_line_and_nothing_is_stored(karachi, services, line, words):
    host = await karachi()
    reply = await host.send(line)
    assert reply.private and words in reply.text, reply.text
    assert "\n" not in reply.text.strip()
    assert await count(services) == 0


async def test_going_maybe_cant_are_exclusive_and_pressing_again_withdraws_and_the_card_follows(karachi, console,
                                                                                               services, notifier,
                                                                                               clock):
    host = await karachi()
    await host.send("/study new topic:Renal when:tomorrow 19:00")
    await services.runner.run_due()
    bob = console("bob")
    assert "going to #1" in (await press(bob, 1, "going")).text
    assert "Maybe" in (await press(bob, 1, "maybe")).text
    clock.advance(seconds=6)
    await services.runner.run_due()
    edited = notifier.current("0")
    assert [(f.name, f.value) for f in edited.cards[0].fields][:3] == [("✅ Going", "0"), ("🤔 Maybe", "1"),
                                                                       ("❌ Can't", "0")]
    assert "Withdrawn" in (await press(bob, 1, "maybe")).text
    assert await count(services, rsvps) == 0


async def test_a_full_session_fills_a_waitlist_and_a_freed_seat_goes_to_the_first_waiting(karachi, console,
                                                                                        services, notifier, clock):
    host = await karachi()
    await host.send("/study new topic:Mock OET when:tomorrow 19:00 capacity:1")
    bob, carol, dan = console("bob"), console("carol"), console("dan")
    await press(bob, 1, "going")
    assert "waitlist, number 1" in (await press(carol, 1, "going")).text
    assert "waitlist, number 2" in (await press(dan, 1, "going")).text
    await press(bob, 1, "going")  # bob withdraws: carol, the first waiting, gets the seat
    await services.runner.run_due()
    assert any("seat freed up" in text for text in directs_to(notifier, "carol"))
    assert directs_to(notifier, "dan") == []
    mine = read(await carol.send("/study mine"))
    assert "#1" in mine and "Going" in mine


async def test_two_presses_for_the_last_seat_give_it_to_exactly_one(karachi, console, services):
    host = await karachi()
    await host.send("/study new topic:Last seat when:tomorrow 19:00 capacity:1")
    replies = await asyncio.gather(*[press(console(f"m{n}"), 1, "going") for n in range(8)])
    assert sum("You're going" in r.text for r in replies) == 1
    assert sum("waitlist" in r.text for r in replies) == 7


async def test_only_the_host_or_an_admin_may_edit_or_cancel_and_those_going_are_told(karachi, console, services,
                                                                                     notifier):
    host = await karachi()
    await host.send("/study new topic:Cardio when:tomorrow 19:00")
    bob = console("bob")
    await press(bob, 1, "going")
    refused = await bob.send("/study cancel id:1")
    assert "Only the host of #1 or a community admin" in refused.text
    assert "Only the host" in (await bob.send("/study edit id:1 when:wed 7pm")).text
    moved = await host.send("/study edit id:1 when:wed 7pm")
    assert "updated" in moved.text and "Wednesday 9 December, 19:00 Asia/Karachi" in read(moved)
    await services.runner.run_due()
    assert any("new time" in text for text in directs_to(notifier, "bob"))
    admin = console("root", admin=True)
    assert "cancelled" in (await admin.send("/study cancel id:1")).text
    await services.runner.run_due()
    assert any("was cancelled" in text for text in directs_to(notifier, "bob"))
    assert "cancelled" in (await press(bob, 1, "maybe")).text


async def test_a_reminder_goes_once_at_the_lead_time_and_never_twice_across_a_restart(karachi, console, services,
                                                                                     notifier, clock, database):
    host = await karachi()
    await host.send("/study new topic:Biostats when:tomorrow 19:00")
    bob = console("bob")
    await bob.send("/study remind minutes:30")
    await press(bob, 1, "going")
    start = at("2026-12-08T19:00", "Asia/Karachi")
    clock.set(start - timedelta(minutes=31))
    await services.runner.run_due()
    assert directs_to(notifier, "bob") == []
    clock.set(start - timedelta(minutes=30))
    await services.runner.run_due()
    assert len(directs_to(notifier, "bob")) == 1 and "starts in 30 minutes" in directs_to(notifier, "bob")[0]
    again = await build(Settings(db_path=database), clock=clock)  # a restart, or a second process
    try:
        again.runner.serve(*bind_duties(again, [notifier]))
        await again.runner.run_due()
        clock.set(start + timedelta(minutes=1))
        await again.runner.run_due()
    finally:
        await again.close()
    assert len(directs_to(notifier, "bob")) == 1
    assert any("starting now" in read(reply) or "started" in read(reply) for _, reply in notifier.posts)


@pytest.mark.parametrize("late, sent", [(timedelta(minutes=20), True), (timedelta(minutes=61), False)])
async def test_after_a_stop_a_reminder_is_caught_up_while_the_session_runs_and_skipped_once_it_is_over(
        karachi, console, services, notifier, clock, late, sent):
    host = await karachi()
    await host.send("/study new topic:Neuro when:tomorrow 19:00")
    await press(console("bob"), 1, "going")
    clock.set(at("2026-12-08T19:00", "Asia/Karachi") + late)  # the bot was down through the lead time
    await services.runner.run_due()
    reminders = directs_to(notifier, "bob")
    assert (len(reminders) == 1 and "started 20 minutes ago" in reminders[0]) if sent else reminders == []


async def test_a_new_lead_time_moves_a_pending_reminder(karachi, console, services, notifier, clock):
    host = await karachi()
    await host.send("/study new topic:Pharm when:tomorrow 19:00")
    bob = console("bob")
    await press(bob, 1, "going")
    assert "1 reminder moved" in (await bob.send("/study remind minutes:60")).text
    clock.set(at("2026-12-08T18:00", "Asia/Karachi"))
    await services.runner.run_due()
    assert len(directs_to(notifier, "bob")) == 1
    assert "15" in (await console("carol").send("/study remind")).text


@pytest.mark.parametrize("zone, first, later, hours", [
    ("America/New_York", "2026-03-03T19:00", "2026-03-10T19:00", 1),  # US spring forward, Sun 03-08
    ("America/New_York", "2026-10-27T19:00", "2026-11-03T19:00", -1),  # US fall back, Sun 11-01
    ("Europe/Berlin", "2026-03-24T19:00", "2026-03-31T19:00", 1),  # EU, Sun 03-29
    ("Europe/Berlin", "2026-10-20T19:00", "2026-10-27T19:00", -1),  # EU, Sun 10-25
])
async def test_a_weekly_session_keeps_its_local_time_across_the_dst_weeks(console, services, notifier, clock, zone,
                                                                          first, later, hours):
    clock.set(at(first, zone) - timedelta(days=1))
    host = console("host")
    await host.send(f"/timezone zone:{zone}")
    made = await host.send(f'/study new topic:Weekly cases when:"{first.replace("T", " ")}" repeat:weekly')
    assert "and every week after" in made.text
    clock.set(at(first, zone))
    await services.runner.run_due()
    clock.set(at(first, zone) + timedelta(hours=1))  # the first one ends: the session moves on a week
    await services.runner.run_due()
    clock.set(at(later, zone))
    await services.runner.run_due()
    starts = [read(reply) for _, reply in notifier.posts if "is starting now" in read(reply)]
    assert len(starts) == 2 and "(until 20:00" in starts[1]
    assert at(later, zone) - at(first, zone) == timedelta(days=7) - timedelta(hours=hours)


async def test_one_week_of_a_weekly_session_can_be_cancelled_alone(karachi, console, services, notifier, clock):
    host = await karachi()
    await host.send("/study new topic:Case review when:tue 19:00 repeat:weekly")
    await press(console("bob"), 1, "going")
    reply = await host.send("/study cancel id:1 week:2026-12-15")
    assert "won't meet on Tuesday 15 December 2026" in read(reply)
    assert "doesn't meet on" in (await host.send("/study cancel id:1 week:2026-12-16")).text
    await services.runner.run_due()
    assert any("won't meet" in text for text in directs_to(notifier, "bob"))
    for day in ("2026-12-08", "2026-12-15", "2026-12-22"):
        clock.set(at(f"{day}T19:00", "Asia/Karachi"))
        await services.runner.run_due()
        clock.set(at(f"{day}T20:00", "Asia/Karachi"))
        await services.runner.run_due()
    starts = [read(reply) for _, reply in notifier.posts if "is starting now" in read(reply)]
    assert len(starts) == 2


async def test_the_calendar_file_parses_back_with_the_right_instant(karachi, services, tmp_path):
    host = await karachi()
    await host.send("/study new topic:Endocrine when:tue 8pm repeat:weekly")
    await host.send("/study cancel id:1 week:2026-12-15")
    reply = await host.send("/study ics id:1")
    assert reply.image is not None and reply.image.filename == "rounds-session-1.ics"
    event = next(c for c in Calendar.from_ical(reply.image.data).walk("VEVENT"))
    assert event.decoded("DTSTART") == at("2026-12-08T20:00", "Asia/Karachi")
    assert event.get("DTSTART").params["TZID"] == "Asia/Karachi"
    assert "FREQ=WEEKLY" in event.get("RRULE").to_ical().decode()
    assert "20261215T200000" in event.get("EXDATE").to_ical().decode()
    shown = render(reply, directory=tmp_path)
    assert "saved to" in shown and str(tmp_path / "rounds-session-1.ics") in shown


async def test_i_am_here_during_the_session_counts_for_my_streak_and_the_host_sees_it(karachi, console, services,
                                                                                     notifier, clock):
    host = await karachi()
    await host.send("/study new topic:Heme when:tomorrow 19:00")
    bob = console("bob")
    assert "No session is on right now" in (await bob.send("/study here")).text
    assert "isn't on yet" in (await bob.send("/study here id:1")).text
    clock.set(at("2026-12-08T19:05", "Asia/Karachi"))
    await services.runner.run_due()
    assert "Welcome to #1" in (await bob.send("/study here")).text
    assert "already down" in (await bob.send("/study here id:1")).text
    assert "1 day" in (await bob.send("/streak")).text
    seen = read(await host.send("/study show id:1"))
    assert "Attended" in seen and "bob" in seen
    assert "Attended" not in read(await bob.send("/study show id:1"))
    clock.set(at("2026-12-08T20:01", "Asia/Karachi"))
    assert "over" in (await bob.send("/study here id:1")).text


async def test_list_and_mine_show_times_in_the_viewers_own_zone(karachi, console, services):
    host = await karachi()
    await host.send("/study new topic:Micro when:tomorrow 19:00")
    berlin = console("bea")
    await berlin.send("/timezone zone:Europe/Berlin")
    listed = read(await berlin.send("/study list"))
    assert "Tuesday 8 December, 15:00 Europe/Berlin" in listed
    await press(berlin, 1, "going")
    assert "**#1** Micro" in read(await berlin.send("/study mine"))
    assert "haven't answered" in read(await console("nobody").send("/study mine"))


async def test_forgetting_a_member_takes_their_answers_and_attendance_and_unlinks_the_sessions_they_host(
        karachi, console, services, clock):
    host = await karachi()
    await host.send("/study new topic:Ethics when:tomorrow 19:00")
    bob = console("bob")
    await press(bob, 1, "going")
    clock.set(at("2026-12-08T19:05", "Asia/Karachi"))
    await bob.send("/study here")
    assert {"session_answers", "attendance"} <= set(await member_data(services.db, "console:bob"))
    assert len((await member_data(services.db, "console:host"))["sessions_hosted"]) == 1
    done = await forget_member(services.db, "console:bob")
    assert done.sessions == 2 and await count(services, rsvps) == 0
    assert (await forget_member(services.db, "console:host")).sessions == 1
    row = await services.db.fetchone(select(sessions.c.author_id))
    assert row["author_id"].startswith("erased:")
