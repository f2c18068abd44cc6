"""Issue 9, the admin's side through the console harness: settings words that tell the whole truth, stopping posts
unambiguously, small tag filters, the ping role, and the tools of the day (post now, preview, skip)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.console.render import render
from core.qotd.daily import ANNOUNCE, REVEAL, SKIP_NOTICE

COMMUNITY = "console:default"
POSTS_OFF = "Daily posts are off until you pick a channel: `/rounds channel`."


async def community(services):
    return await services.communities.get(COMMUNITY, fresh=True)


def question_posts(notifier) -> list:
    return [reply for _, reply in notifier.posts if reply.cards and reply.cards[0].title.startswith("Question of the day")]


# -- 1. a setting's confirmation never promises a post that will not happen -------------------------------------------

@pytest.mark.parametrize("line, said", [
    ("/rounds time 07:30", "Posting time set to 07:30 UTC."),
    ("/rounds timezone Asia/Karachi", "Time zone set to Asia/Karachi (posting time 09:00 there)."),
    ("/rounds reveal 6h", "Answers will be revealed 6h after posting."),
    ("/rounds ping-role @students", "The daily question will ping <@&students> when it posts."),
])
async def test_without_a_channel_settings_say_posts_are_off_and_what_to_do(console, line, said):
    admin = console("ada", admin=True)
    reply = await admin.send(line)
    assert reply.text == f"{said} {POSTS_OFF}"
    assert "off" in {f.name: f.value for f in (await admin.send("/rounds settings")).cards[0].fields}["Channel"]

    await admin.send("/rounds channel")
    again = await admin.send(line)
    assert "off" not in again.text and "/rounds channel" not in again.text and again.text != reply.text


async def test_with_a_channel_the_time_reads_as_before(console):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    assert (await admin.send("/rounds time 07:30")).text == "The daily question will be posted at 07:30 UTC."


# -- 2. stopping daily posts is unambiguous ---------------------------------------------------------------------------

@pytest.mark.parametrize("line", ["/rounds channel stop", "/rounds channel OFF", "/rounds channel stop:yes",
                                  "/rounds channel channel:stop"])
async def test_stop_words_and_stop_yes_turn_posts_off(console, services, line):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    assert await services.duties.pending(ANNOUNCE, COMMUNITY)
    reply = await admin.send(line)
    assert (await community(services)).channel_id is None
    assert "Daily posts are off" in reply.text and "`/rounds channel`" in reply.text and "start them again" in reply.text
    assert await services.duties.pending(ANNOUNCE, COMMUNITY) == []


@pytest.mark.parametrize("line", ["/rounds channel channel:#study stop:yes", "/rounds channel #study stop:yes"])
async def test_a_channel_with_stop_yes_is_refused_and_changes_nothing(console, services, line):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    reply = await admin.send(line)
    assert reply.private and "not both" in reply.text and "stop:yes" in reply.text
    assert (await community(services)).channel_id == "general"


async def test_a_named_channel_is_still_a_channel(console, services):
    admin = console("ada", admin=True)
    reply = await admin.send("/rounds channel #study")
    assert (await community(services)).channel_id == "study" and "#study" in reply.text


# -- 3. a small tag filter says how often its questions come back -----------------------------------------------------

async def test_a_small_filter_warns_that_its_questions_repeat(console, services):
    admin = console("ada", admin=True)
    reply = await admin.send("/rounds tags step1 cardiovascular")
    count = len(services.bank.require_available(COMMUNITY, (await community(services)).tag_filter))
    assert count < 30
    assert f"({count} questions)" in reply.text and f"comes back every {count} days" in reply.text


async def test_a_broad_filter_gives_its_count_without_a_warning(console, services):
    reply = await console("ada", admin=True).send("/rounds tags all")
    count = len(services.bank.require_available(COMMUNITY, (await community(services)).tag_filter))
    assert count >= 30 and f"({count} questions)" in reply.text and "comes back" not in reply.text


# -- 4. a role pinged by the daily post, and by nothing else ----------------------------------------------------------

async def test_the_ping_role_is_mentioned_on_the_daily_post_only(console, services, notifier, clock):
    admin = console("ada", admin=True)
    fields = {f.name: f.value for f in (await admin.send("/rounds settings")).cards[0].fields}
    assert fields["Ping"] == "nobody"  # off by default
    await admin.send("/rounds ping-role @students")
    assert {f.name: f.value for f in (await admin.send("/rounds settings")).cards[0].fields}["Ping"] == "<@&students>"

    await admin.send("/rounds channel")  # after 09:00: today's post goes out at once
    assert await services.runner.run_due() == 1
    [(_, post)] = notifier.posts
    assert post.text == "<@&students>" and post.ping_roles == ("students",)
    assert render(post).startswith("@students\n┌─ Question of the day")

    clock.advance(hours=12)
    await services.runner.run_due()
    reveal = notifier.posts[-1][1]
    assert reveal.cards[0].title.startswith("Answer revealed") and reveal.ping_roles == () and "students" not in reveal.text

    cleared = await admin.send("/rounds ping-role")
    assert cleared.text == "The daily question pings nobody now."
    clock.advance(days=1)
    await services.runner.run_due()
    tomorrow = question_posts(notifier)[-1]
    assert len(question_posts(notifier)) == 2 and tomorrow.text == "" and tomorrow.ping_roles == ()


# -- 5. the tools of the day ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("line", ["/rounds post-now", "/rounds preview", "/rounds skip", "/rounds ping-role @x"])
async def test_members_may_not_use_the_tools_of_the_day(console, services, notifier, line):
    await console("ada", admin=True).send("/rounds time 11:00")
    await console("ada", admin=True).send("/rounds channel")
    reply = await console("mallory").send(line)
    assert reply.private and "Only community admins" in reply.text
    await services.runner.run_due()
    assert notifier.posts == [] and (await community(services)).ping_role is None


async def test_post_now_posts_today_through_the_runner_before_its_time(console, services, notifier, clock):
    admin = console("ada", admin=True)
    await admin.send("/rounds time 11:00")
    await admin.send("/rounds channel")
    assert await services.runner.run_due() == 0  # 10:00: not yet

    reply = await admin.send("/rounds post-now")
    assert "on its way" in reply.text and "#general" in render(reply)
    assert notifier.posts == []  # nothing is sent by the command itself: the duty delivers it
    assert await services.runner.run_due() == 1
    [post] = question_posts(notifier)
    assert "Tue 24 Nov 2026" in post.cards[0].title
    [reveal] = await services.duties.pending(REVEAL, COMMUNITY)
    assert reveal.due_at >= clock.now() + timedelta(hours=12)  # the delay counts from the post at the earliest

    again = await admin.send("/rounds post-now")
    assert "already went out" in again.text
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    await services.runner.run_due()
    assert len(question_posts(notifier)) == 1  # the usual 11:00 post does not repeat it

    clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    await services.runner.run_due()
    assert [p.cards[0].title[-11:] for p in question_posts(notifier)] == ["24 Nov 2026", "25 Nov 2026"]


async def test_post_now_without_a_channel_is_refused(console, services):
    reply = await console("ada", admin=True).send("/rounds post-now")
    assert reply.private and "Pick a channel first: `/rounds channel`" in reply.text
    assert await services.duties.pending(ANNOUNCE, COMMUNITY) == []


async def test_post_now_after_the_post_went_out_is_refused(console, services, notifier):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    await services.runner.run_due()
    reply = await admin.send("/rounds post-now")
    assert "already went out" in reply.text
    assert await services.runner.run_due() == 0 and len(notifier.posts) == 1


async def test_preview_shows_tomorrows_pick_privately_without_claiming_it(console, services, notifier, clock):
    admin = console("ada", admin=True)
    reply = await admin.send("/rounds preview")
    assert reply.private and reply.buttons == () and notifier.posts == []
    assert reply.cards[0].title == "Tomorrow's question · Wed 25 Nov 2026"
    assert reply.cards[1].body.startswith("**Answer:")  # the admin sees the answer too
    tomorrow = datetime(2026, 11, 25).date()
    assert await services.daily.posts.find(COMMUNITY, tomorrow) is None  # nothing claimed for tomorrow
    assert (await admin.send("/rounds preview")).cards[0].body == reply.cards[0].body

    clock.advance(days=1)
    shown = await console("bea").send("/qotd")
    assert shown.cards[0].body == reply.cards[0].body


async def test_skip_posts_a_notice_once_and_keeps_tomorrow(console, services, notifier, clock):
    admin = console("ada", admin=True)
    await admin.send("/rounds time 11:00")
    await admin.send("/rounds channel")
    reply = await admin.send("/rounds skip")
    assert "skipped" in reply.text and "tomorrow" in reply.text
    assert await services.runner.run_due() == 1
    [(channel, notice)] = notifier.posts
    assert channel == "general" and "No question of the day today" in notice.text and "11:00" in notice.text
    assert await services.runner.run_due() == 0  # delivered once

    assert "already skipped" in (await admin.send("/rounds skip")).text
    assert "already skipped" in (await admin.send("/rounds post-now")).text
    await admin.send("/rounds time 10:30")  # a settings change does not bring the skipped day back
    clock.set(datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    await services.runner.run_due()
    assert question_posts(notifier) == []

    clock.set(datetime(2026, 11, 25, 10, 30, tzinfo=UTC))
    await services.runner.run_due()
    [post] = question_posts(notifier)
    assert "Wed 25 Nov 2026" in post.cards[0].title


async def test_skip_after_the_post_went_out_changes_nothing(console, services, notifier):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    await services.runner.run_due()
    reply = await admin.send("/rounds skip")
    assert reply.private and "already went out" in reply.text
    assert await services.duties.pending(SKIP_NOTICE, COMMUNITY) == []
    assert await services.runner.run_due() == 0 and len(notifier.posts) == 1


async def test_skip_without_a_channel_is_refused(console, services):
    reply = await console("ada", admin=True).send("/rounds skip")
    assert reply.private and "Pick a channel first: `/rounds channel`" in reply.text
    assert await services.duties.pending(SKIP_NOTICE, COMMUNITY) == []
