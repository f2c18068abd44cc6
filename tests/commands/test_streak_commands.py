"""Streaks through the console harness, down to the database (SQLite, then PostgreSQL): the day boundaries the issue
names, in each member's own zone; freezes; the leaderboard's ties, pages and own rank; the heatmap; bad input.

The clock is the test's FrozenClock: each check-in happens at an instant the test sets, in a zone it names.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from PIL import Image as PILImage
from sqlalchemy import func, select

from commands.streaks.heatmap import EMPTY, LEVELS, cell_center, position
from core.storage.schema import activity, members


def at(text: str, zone: str) -> datetime:
    """A local wall time in a zone, as the UTC instant the clock is set to."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def rows_of(services, table=activity) -> int:
    row = await services.db.fetchone(select(func.count().label("n")).select_from(table))
    return row["n"]


async def checkin_at(session, clock, when: datetime, line: str = "/checkin"):
    clock.set(when)
    return await session.send(line)


async def streak_of(session) -> int:
    reply = await session.send("/streak")
    return int(reply.text.split("streak ")[1].split(" ")[0])


async def test_karachi_at_23_30_and_00_30_is_two_days(console, clock):
    ana = console("ana")
    await ana.send("/timezone zone:Asia/Karachi")
    first = await checkin_at(ana, clock, at("2026-12-01T23:30", "Asia/Karachi"))
    second = await checkin_at(ana, clock, at("2026-12-02T00:30", "Asia/Karachi"))
    assert "recorded for Tue 1 Dec" in first.text and "Streak: **1 day**" in first.text
    assert "recorded for Wed 2 Dec" in second.text and "Streak: **2 days**" in second.text


async def test_a_second_checkin_the_same_day_adds_to_it_and_does_not_count_twice(console, clock, services):
    ana = console("ana")
    await checkin_at(ana, clock, datetime(2026, 12, 1, 8, tzinfo=UTC), "/checkin minutes:30")
    again = await checkin_at(ana, clock, datetime(2026, 12, 1, 20, tzinfo=UTC), '/checkin questions:40 note:"cardio block"')
    assert "Streak: **1 day**" in again.text
    assert await rows_of(services) == 2
    board = await ana.send("/leaderboard metric:checkins period:all")
    assert "1. ana — 1 check-in day" in board.cards[0].body


async def test_new_york_across_both_dst_changes_keeps_one_unbroken_streak(console, clock):
    ny = console("nyc")
    await ny.send("/timezone zone:America/New_York")
    for start in ("2026-03-06", "2026-10-30"):
        day = datetime.fromisoformat(start)
        for n in range(4):  # Fri, Sat, Sun (the change), Mon: every evening at 21:30 local
            reply = await checkin_at(ny, clock, at(f"{(day + timedelta(days=n)).date()}T21:30", "America/New_York"))
        assert "Streak: **4 days**" in reply.text, start
        clock.set(clock.now() + timedelta(days=30))  # the first streak ends long before the second run starts


async def test_kiritimati_and_pago_pago_in_one_community_each_count_their_own_day(console, clock):
    east, west = console("kiri"), console("pago")
    await east.send("/timezone zone:Pacific/Kiritimati")
    await west.send("/timezone zone:Pacific/Pago_Pago")
    clock.set(datetime(2026, 12, 2, 10, 30, tzinfo=UTC))  # 00:30 Thu 3 Dec in Kiritimati, 23:30 Tue 1 Dec in Pago Pago
    assert "recorded for Thu 3 Dec" in (await east.send("/checkin")).text
    assert "recorded for Tue 1 Dec" in (await west.send("/checkin")).text
    clock.set(datetime(2026, 12, 2, 11, 30, tzinfo=UTC))  # an hour later: Pago Pago's Wednesday has begun
    assert "Streak: **2 days**" in (await west.send("/checkin")).text
    assert "Streak: **1 day**" in (await east.send("/checkin")).text  # still Thursday there
    board = await east.send("/leaderboard")
    assert board.cards[0].body.splitlines() == ["1. pago — 2 days", "2. kiri — 1 day"]


async def test_a_zone_change_mid_streak_neither_breaks_nor_inflates_it(console, clock):
    ana = console("ana")
    await ana.send("/timezone zone:Asia/Karachi")
    await checkin_at(ana, clock, at("2026-12-01T22:00", "Asia/Karachi"))
    await checkin_at(ana, clock, at("2026-12-02T21:00", "Asia/Karachi"))
    await ana.send("/timezone zone:America/New_York")  # flies west: Wed 2 Dec evening again in New York
    same_day = await checkin_at(ana, clock, at("2026-12-02T20:00", "America/New_York"))
    assert "recorded for Wed 2 Dec" in same_day.text and "Streak: **2 days**" in same_day.text
    next_day = await checkin_at(ana, clock, at("2026-12-03T20:00", "America/New_York"))
    assert "Streak: **3 days**" in next_day.text
    await ana.send("/timezone zone:Asia/Karachi")  # and back east: Thursday 20:00 in New York was Friday 06:00 here
    home = await checkin_at(ana, clock, at("2026-12-04T21:00", "Asia/Karachi"))
    assert "recorded for Fri 4 Dec" in home.text and "Streak: **4 days**" in home.text


async def test_a_rollover_hour_counts_the_small_hours_for_the_day_before(console, clock):
    owl = console("owl")
    await owl.send("/timezone zone:Europe/London rollover:4")
    await checkin_at(owl, clock, at("2026-12-01T21:00", "Europe/London"))
    late = await checkin_at(owl, clock, at("2026-12-02T03:30", "Europe/London"))
    assert "recorded for Tue 1 Dec" in late.text and "Streak: **1 day**" in late.text
    morning = await checkin_at(owl, clock, at("2026-12-02T04:00", "Europe/London"))
    assert "recorded for Wed 2 Dec" in morning.text and "Streak: **2 days**" in morning.text


async def test_seven_days_earn_a_freeze_that_covers_a_missed_day(console, clock):
    ana = console("ana")
    start = datetime(2026, 11, 1, 12, tzinfo=UTC)
    for n in range(7):
        reply = await checkin_at(ana, clock, start + timedelta(days=n))
    assert "you earned a freeze" in reply.text
    back = await checkin_at(ana, clock, start + timedelta(days=8))  # 8 Nov missed
    assert "Streak: **8 days**" in back.text
    shown = await ana.send("/streak")
    card = shown.cards[0]
    assert "A freeze covered Sun 8 Nov" in card.body
    assert {f.name: f.value for f in card.fields}["Freezes held"] == "0 of 2 🧊"
    clock.set(start + timedelta(days=11))  # two more days missed, no freeze left: the streak is over
    assert await streak_of(ana) == 0
    ended = (await ana.send("/streak")).cards[0]
    assert "The last streak ended: more days were missed after Mon 9 Nov than the freezes held could cover" in ended.body


async def test_the_leaderboard_shares_ranks_on_ties_pages_and_always_shows_me_and_the_one_above(console, clock):
    clock.set(datetime(2026, 12, 1, 12, tzinfo=UTC))
    for n in range(24):  # m00 … m23; streak lengths 1..4, many ties
        member = console(f"m{n:02d}")
        for day in reversed(range(n % 4 + 1)):  # forward in time, ending today
            clock.set(datetime(2026, 12, 1, 12, tzinfo=UTC) - timedelta(days=day))
            await member.send("/checkin")
    clock.set(datetime(2026, 12, 1, 13, tzinfo=UTC))
    me = console("m00")  # a streak of 1: at the bottom, on page 3
    first = await me.send("/leaderboard")
    lines = first.cards[0].body.splitlines()
    assert not first.private and len(lines) == 10
    assert [line.split(".")[0] for line in lines] == ["1"] * 6 + ["7"] * 4  # six members with 4 days tie for first
    assert first.text == "You: #19 · 1 day · next up: #13 m21 · 2 days"  # the nearest with more: the last 2 by name
    assert "Page 1 of 3 · 24 ranked" in first.cards[0].footer
    second = await me.send("[Next ▶]")
    assert second.private and second.cards[0].body.splitlines()[0] == "7. m18 — 3 days"  # 11th, tied 7th
    third = await me.send("[Next ▶]")
    assert [b.label for b in third.buttons] == ["◀ Previous"]
    assert third.cards[0].body.splitlines()[-1] == "19. m20 — 1 day"
    alone = await me.send("/leaderboard private:true")
    assert alone.private


async def test_answering_the_question_of_the_day_counts_as_activity(console, services):
    ana = console("ana")
    await ana.send("/qotd")
    await ana.send("[B]")
    await ana.send("[B]")  # a repeat press is not a second activity
    assert await rows_of(services) == 1
    assert await streak_of(ana) == 1
    board = await ana.send("/leaderboard metric:qotd")
    assert "1. ana — 1 answer" in board.cards[0].body


async def test_streak_sends_a_heatmap_with_the_active_days_coloured(console, clock):
    ana = console("ana")
    today = datetime(2026, 12, 2, 12, tzinfo=UTC)
    for n in (10, 0):
        await checkin_at(ana, clock, today - timedelta(days=n))
    reply = await ana.send("/streak")
    picture = PILImage.open(io.BytesIO(reply.image.data))
    assert picture.format == "PNG"
    day, before = today.date(), (today - timedelta(days=10)).date()
    assert picture.convert("RGB").getpixel(cell_center(*position(before, day, 12))) == LEVELS[0]
    assert picture.convert("RGB").getpixel(cell_center(*position(day - timedelta(days=1), day, 12))) == EMPTY
    assert "active on 2 of" in reply.image.alt


async def test_bad_input_is_refused_with_a_clear_line_and_nothing_written(console, services):
    ana = console("ana")
    unknown = await ana.send("/timezone zone:Asia/Karachy")
    assert unknown.private and "Asia/Karachi" in unknown.text and "?" in unknown.text
    negative = await ana.send("/checkin minutes:-5")
    assert negative.private and "minutes" in negative.text
    huge = await ana.send("/checkin note:" + "x" * 10_000)
    assert huge.private and "characters long" in huge.text
    long = await ana.send("/checkin note:" + "x" * 600)
    assert long.private and "`note` is 600 characters long; the limit is 500" in long.text
    absurd = await ana.send("/checkin questions:99999")
    assert absurd.private and "questions" in absurd.text
    nobody = await ana.send("/streak member:@ghost")
    assert nobody.private and "I don't know ghost here" in nobody.text
    rollover = await ana.send("/timezone rollover:9")
    assert rollover.private and "rollover" in rollover.text
    mistyped = await ana.send("/checkin foo:bar")
    assert mistyped.private and "`foo` is not an option of `/checkin` (its options: note, questions, minutes)" in mistyped.text
    assert await rows_of(services) == 0 and await rows_of(services, members) == 0


async def test_another_members_streak_and_the_nudge_switch(console, clock):
    await console("bob").send("/checkin")
    seen = await console("ana").send("/streak member:@bob")
    assert seen.cards[0].title == "🔥 bob's streak" and "streak 1" in seen.text
    on = await console("ana").send("/streak nudge:on")
    assert on.private and "Nudges on" in on.text
    assert "Nudges off" in (await console("ana").send("/streak nudge:off")).text


async def test_switching_zones_east_then_west_never_adds_a_day(console, clock, services):
    """Kiritimati's Wednesday, then a minute later Pago Pago's Tuesday: the member lived one day, and the second
    check-in counts for the day they already have (the heatmap shows it too)."""
    zed = console("zed")
    clock.set(datetime(2026, 3, 10, 11, 30, tzinfo=UTC))
    await zed.send("/timezone zone:Pacific/Kiritimati")
    assert "recorded for Wed 11 Mar" in (await zed.send("/checkin")).text
    await zed.send("/timezone zone:Pacific/Pago_Pago")
    clock.advance(minutes=1)
    again = await zed.send("/checkin")
    assert "recorded for Wed 11 Mar" in again.text and "added to the day you already have" in again.text
    assert "Streak: **1 day**" in again.text
    shown = await zed.send("/streak")
    assert "active on 1 of" in shown.image.alt and "streak 1" in shown.text


async def test_a_note_with_spaces_needs_no_quotes(console, services):
    reply = await console("ana").send("/checkin note:UWorld block 3 renal minutes:45")
    assert "recorded" in reply.text
    row = await services.db.fetchone(select(activity.c.note, activity.c.minutes))
    assert (row["note"], row["minutes"]) == ("UWorld block 3 renal", 45)
    later = await console("bob").send("/checkin note:read https://example.org ratio:2 at 10:30")  # text, after note:
    assert "recorded" in later.text
