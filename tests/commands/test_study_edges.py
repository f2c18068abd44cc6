"""Study sessions at their edges, each test a defect found by trying `/study` as a newcomer and as an attacker:
what the reply says back must be right (the year, the week, who cancelled), and what a member typed must never
become our own markup (a Slack user-group mention in a topic or a link pings the whole group).

Through the console harness, down to the database (SQLite, then PostgreSQL); the clock is the test's FrozenClock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bots.slack.render import render as slack_render
from commands.moments import fallback, localize
from commands.notifier import CollectingNotifier
from commands.replies import Reply
from commands.sessions.views import RSVP_ACTION

START = datetime(2026, 12, 7, 10, tzinfo=UTC)  # a Monday


def read(reply: Reply | None) -> str:
    assert reply is not None
    return localize(reply, fallback).plain_text()


async def press(member, number: int, answer: str) -> Reply:
    return await member.dispatcher.press(member.context, f"rounds:{RSVP_ACTION}:{number}:{answer}")


def slack_texts(reply: Reply) -> str:
    """Every piece of text Slack would be sent for the reply: the fallback and each block, as JSON-ish text."""
    return repr(slack_render(reply))


@pytest.fixture
def host(console, clock):
    clock.set(START)
    return console("host")


# -- what the replies say back -----------------------------------------------------------------------------------
async def test_a_start_in_another_year_is_said_back_with_its_year(host):
    reply = await host.send("/study new topic:New year review when:2027-01-01 20:00")
    assert "Friday 1 January 2027, 20:00 UTC" in reply.text
    far = await host.send("/study new topic:Match day prep when:2027-12-06 20:00")  # not "Monday 6 December"
    assert "Monday 6 December 2027, 20:00 UTC" in far.text
    same = await host.send("/study new topic:Cardio when:tue 8pm")  # this year's stays short
    assert "**Tuesday 8 December, 20:00 UTC**" in same.text


async def test_a_full_session_says_one_seat_not_one_seats(host, console):
    await host.send("/study new topic:Small group when:tue 8pm capacity:1")
    await press(console("bob"), 1, "going")
    reply = await press(console("cat"), 1, "going")
    assert "full (1 seat)" in reply.text


async def test_an_admin_cancelling_is_not_called_the_host(host, console, services, notifier: CollectingNotifier):
    await host.send("/study new topic:Renal when:tue 8pm")
    await press(console("bob"), 1, "going")
    await console("root", admin=True).send("/study cancel id:1")
    await services.runner.run_due()
    told = [read(reply) for to, reply in notifier.directs if to == "console:bob"]
    assert told and "cancelled" in told[0] and "by its host" not in told[0]


async def test_an_id_out_of_range_names_the_limit_in_plain_digits(host):
    reply = await host.send("/study cancel id:99999999999999999999")
    assert "1e+09" not in reply.text and "1,000,000,000" in reply.text


# -- one week of a weekly session --------------------------------------------------------------------------------
async def test_a_week_before_the_series_began_is_not_called_a_wrong_weekday(host):
    await host.send("/study new topic:Cases when:tue 8pm repeat:weekly")  # first on Tuesday 8 December
    reply = await host.send("/study cancel id:1 week:2026-12-01")  # a Tuesday, before the first
    assert "doesn't meet on" not in reply.text
    assert "first meets" in read(reply) and "Tuesday 8 December" in read(reply)


async def test_a_week_already_cancelled_says_so(host):
    await host.send("/study new topic:Cases when:tue 8pm repeat:weekly")
    assert "won't meet" in (await host.send("/study cancel id:1 week:2026-12-15")).text
    again = await host.send("/study cancel id:1 week:2026-12-15")
    assert "doesn't meet on" not in again.text and "already cancelled" in again.text


async def test_week_next_while_one_is_under_way_cancels_the_one_after(host, services, clock):
    await host.send("/study new topic:Cases when:tue 8pm repeat:weekly")
    clock.set(datetime(2026, 12, 8, 20, 10, tzinfo=UTC))  # ten minutes into the first
    await services.runner.run_due()
    reply = await host.send("/study cancel id:1 week:next")
    assert "Tuesday 15 December 2026" in read(reply)
    assert "Welcome to #1" in (await host.send("/study here")).text  # the one under way still stands


# -- the calendar file -------------------------------------------------------------------------------------------
async def test_a_cancelled_session_gives_no_calendar_file(host):
    await host.send("/study new topic:Renal when:tue 8pm repeat:weekly")
    await host.send("/study cancel id:1")
    reply = await host.send("/study ics id:1")
    assert reply.image is None and "cancelled" in reply.text
    shown = await host.send("/study show id:1")
    assert "/study ics" not in read(shown) and "pressing again" not in read(shown)


# -- what members type never becomes our markup ------------------------------------------------------------------
async def test_a_group_mention_in_the_topic_pings_nobody_on_slack(host, services, clock, notifier):
    # On Slack, `@leads` typed in a topic arrives as <!subteam^S0LEADS|@leads>, which the adapter reads as <@&S0LEADS>.
    made = await host.send("/study new topic:<@&S0LEADS> **loud** `x` <#C1> review when:tue 8pm")
    assert "#1" in made.text
    clock.set(datetime(2026, 12, 8, 20, tzinfo=UTC))
    await services.runner.run_due()
    posts = [reply for _, reply in notifier.posts]
    starting = [reply for reply in posts if "starting now" in reply.text]
    assert starting
    for reply in (made, *posts, await host.send("/study list")):
        assert "subteam" not in slack_texts(reply)
    assert "S0LEADS" in read(starting[0])  # what was typed is still there to read


async def test_a_link_holding_markup_is_refused(host):
    for link in ("https://zoom.us/j/1<@&S0LEADS>", "https://zoom.us/j/<#C1>", "https://zoom.us/j/{1}",
                 "https://zoom.us/j/`1`"):
        reply = await host.send(f"/study new topic:Cardio when:tue 8pm link:{link}")
        assert "Session" not in reply.text and "zoom.us/j/123456789" in reply.text, link
    assert "#1" in (await host.send("/study new topic:Cardio when:tue 8pm link:https://zoom.us/j/1?pwd=a%3Cb")).text


async def test_the_list_says_when_more_are_planned_than_it_shows(host):
    for hour in range(11):
        await host.send(f"/study new topic:Block {hour} when:2026-12-09 {8 + hour:02d}:00")
    listed = read(await host.send("/study list"))
    assert "Block 9" in listed and "Block 10" not in listed
    assert "the next 10" in listed
    await host.send("/study cancel id:11")
    assert "the next 10" not in read(await host.send("/study list"))


async def test_moving_a_weekly_session_keeps_the_weeks_cancelled_alone(host):
    await host.send("/study new topic:Cases when:tue 8pm repeat:weekly")
    await host.send("/study cancel id:1 week:2026-12-22")
    await host.send("/study edit id:1 when:tue 7pm")  # the same weekday, an hour earlier
    assert "already cancelled" in (await host.send("/study cancel id:1 week:2026-12-22")).text
    await host.send("/study edit id:1 when:thu 7pm")  # two days later: that week's Thursday stays cancelled
    assert "already cancelled" in (await host.send("/study cancel id:1 week:2026-12-24")).text
    assert "won't meet" in (await host.send("/study cancel id:1 week:2026-12-17")).text


async def test_a_button_typed_before_any_reply_points_to_the_sessions_too(console):
    reply = await console("newcomer").send("[Going]")
    assert reply is not None and "/study show" in reply.text
