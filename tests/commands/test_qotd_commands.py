"""QOTD through the console harness: the full command path (dispatch → service → SQLite), no mocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import text

from bots.console.render import render
from commands.moments import moment
from core.community.members import Member
from core.questions.model import LETTERS


def question_title(reply) -> str:
    return reply.cards[0].title + reply.cards[0].body


async def test_everyone_gets_the_same_question_on_a_date(console):
    alice, bob = console("alice"), console("bob")
    first = await alice.send("/qotd")
    second = await bob.send("/qotd")
    assert question_title(first) == question_title(second)
    assert [b.label for b in first.buttons] == list(LETTERS)
    assert first.buttons[0].custom_id == second.buttons[0].custom_id


async def test_the_question_changes_with_the_local_date(console, clock):
    alice = console()
    today = await alice.send("/qotd")
    clock.advance(days=1)
    tomorrow = await alice.send("/qotd")
    assert question_title(today) != question_title(tomorrow)


async def test_first_answer_counts_and_a_second_press_counts_nothing(console, services, clock):
    alice = console()
    shown = await alice.send("/qotd")
    post_id = int(shown.buttons[0].args[0])
    right = (await services.bank.get((await services.qotd.post(post_id)).question_id)).answer
    wrong = next(x for x in LETTERS if x != right)

    first = await alice.send(f"[{wrong}]")
    clock.advance(seconds=10)  # the change window (a mis-tap undone) has closed
    again = await alice.send(f"[{right}]")

    # within the change window the press says what was chosen, not whether it was right
    assert first.private and first.text.startswith(f"You chose **{wrong}**.") and "Mis-tap?" in first.text
    assert "Not quite" not in first.text and "Correct" not in first.text
    assert again.private
    assert f"You already answered this one: **{wrong}**, ❌ not quite. Only your first answer counts." in again.text
    assert (await services.qotd.distribution(post_id)).counts == {wrong: 1}
    stats = await services.qotd.stats("console:alice", "console:default")
    assert (stats.overall.answered, stats.overall.correct) == (1, 0)


async def test_explanation_waits_for_the_reveal_time(console, services, clock):
    alice, bob = console("alice"), console("bob")
    shown = await alice.send("/qotd")
    before = await alice.send("[A]")
    # the day's post was first asked for at 10:00, after its 09:00 time: the 12 h delay counts from then
    assert not before.cards and "revealed at" in before.text and "22:00" in before.text

    clock.advance(hours=12, minutes=1)  # 22:01 UTC
    bob.remember(shown)  # after the reveal /qotd shows the reveal card: bob presses a button he had on screen
    after = await bob.send("[B]")
    explanation = after.cards[0]
    assert explanation.title == "Explanation"
    assert "Why not the others" in explanation.body
    answers = explanation.fields[0].value
    assert "A" in answers and "2 answers" in answers and "50%" in answers


async def test_immediate_reveal_shows_the_explanation_at_once(console, services):
    admin = console("ada", admin=True)
    assert "immediately" in (await admin.send("/rounds reveal immediately")).text
    await admin.send("/qotd")
    feedback = await admin.send("[C]")
    assert feedback.cards and feedback.cards[0].title == "Explanation"


async def test_viewing_again_shows_your_answer(console):
    alice = console()
    await alice.send("/qotd")
    await alice.send("[D]")
    again = await alice.send("/qotd")
    assert "You answered D" in again.text.replace("**", "")


async def test_stats_by_system_and_discipline(console, services, clock):
    alice = console()
    for _ in range(3):
        shown = await alice.send("/qotd")
        question = (await services.bank.get((await services.qotd.post(int(shown.buttons[0].args[0]))).question_id))
        await alice.send(f"[{question.answer}]")
        clock.advance(days=1)
    reply = await alice.send("/qotd-stats")
    fields = {f.name: f.value for f in reply.cards[0].fields}
    assert fields["Answered"] == "3"
    assert fields["Accuracy"].startswith("100%")
    by_system = re.findall(r"\((\d+)/(\d+)\)", fields["By system"])
    assert sum(int(total) for _, total in by_system) == 3  # every answer lands in exactly one system
    assert all(right == total for right, total in by_system)  # all answered correctly
    assert "%" in fields["By discipline"]


async def test_stats_before_any_answer(console):
    reply = await console().send("/qotd-stats")
    assert reply.private and "not answered" in reply.text


async def test_a_button_from_another_community_is_refused(console):
    ours = await console("alice", community="one").send("/qotd")
    other = console("bob", community="two")
    other.remember(ours)
    reply = await other.send("[A]")
    assert "another community" in reply.text


async def test_an_unknown_or_forged_button_is_harmless(console, dispatcher, services):
    alice = console()
    reply = await dispatcher.press(alice.context, "rounds:qotd.answer:99999:A")
    assert reply.private and "no longer available" in reply.text
    reply = await dispatcher.press(alice.context, "rounds:qotd.answer:1:Z")
    assert "no longer in use" in reply.text
    reply = await dispatcher.press(alice.context, "something-else")
    assert "no longer in use" in reply.text
    assert await services.db.fetchall(text("SELECT * FROM answers")) == []


async def test_an_answer_after_the_reveal_counts_as_review_not_accuracy(console, services, clock):
    alice = console()
    shown = await alice.send("/qotd")
    right = (await services.bank.get((await services.qotd.post(int(shown.buttons[0].args[0]))).question_id)).answer
    clock.advance(days=2)  # the explanation has long been out
    await alice.send(f"[{right}]")
    stats = await services.qotd.stats("console:alice", "console:default")
    assert (stats.overall.answered, stats.reviewed.answered, stats.reviewed.correct) == (0, 1, 1)
    reply = await alice.send("/qotd-stats")
    assert "Answered in review" in reply.cards[0].fields[-1].name


async def test_a_command_name_of_only_spaces_is_answered(console):
    reply = await console().send('/ " "')
    assert reply.private and "Type a command after the" in reply.text


async def test_a_huge_command_line_is_refused_quickly(console):
    reply = await console().send("/rounds tags " + "x" * 1_000_000)
    assert reply.private and "the limit is 4,000" in reply.text


async def test_malformed_button_ids_get_the_stale_button_answer(console, dispatcher, services):
    alice = console()
    await alice.send("/qotd")
    before = await services.db.fetchall(text("SELECT COUNT(*) AS n FROM answers"))
    for custom_id in ("rounds:qotd.answer:1", "rounds:qotd.answer:1:A:extra", "rounds:qotd.answer:²:A",
                      "rounds:qotd.answer:" + "9" * 20 + ":A", "rounds:qotd.answer:-1:A", "rounds:qotd.answer:\ud800:A"):
        reply = await dispatcher.press(alice.context, custom_id)
        assert reply.private and "no longer in use" in reply.text, custom_id
    assert (await services.db.fetchone(text("SELECT COUNT(*) AS n FROM answers")))["n"] == before[0]["n"]


async def test_lone_surrogates_and_controls_are_cleaned_before_they_reach_the_database(console, services):
    from core.community.members import Member

    session = console("eve\ud800")
    shown = await session.send("/qotd")
    reply = await session.send(f"[{shown.buttons[0].label}]")
    assert "went wrong" not in reply.text
    row = await services.db.fetchone(text("SELECT id, display_name FROM members"))
    assert row["id"] == "console:eve\ufffd" and Member(row["id"]).display


async def test_times_are_shown_in_each_members_zone_with_the_zone_named(console, services):
    """The reveal is at 22:00 UTC (asked for at 10:00, a 12 h delay): a member who set New York as their zone reads it
    there; one who set nothing reads it in the community's zone. Both see which zone it is."""
    await console("ada", admin=True).send("/rounds timezone Asia/Karachi")
    alice, bob = console("alice"), console("bob")
    await services.people.set_zone(Member("console:alice", "alice"), "America/New_York")
    shown = await alice.send("/qotd")
    bob.remember(shown)

    mine = render(await alice.send("[A]"))
    theirs = render(await bob.send("[A]"))
    assert "revealed at Tue 24 Nov, 17:00 America/New_York." in mine
    assert "revealed at Wed 25 Nov, 03:00 Asia/Karachi." in theirs
    assert "until 10:00:10" not in mine and "until 05:00:10 America/New_York" in mine  # the mis-tap window too


async def test_a_channel_post_writes_its_time_in_the_communitys_zone(console, services, notifier):
    admin = console("ada", admin=True)
    await services.people.set_zone(Member("console:ada", "ada"), "America/New_York")  # the admin's zone is not the channel's
    for line in ("/rounds timezone Asia/Karachi", "/rounds time 18:00", "/rounds channel", "/rounds skip"):
        await admin.send(line)
    await services.runner.run_due()
    [(_, skipped)] = notifier.posts
    assert skipped.text.endswith(f"posted tomorrow, **{moment(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), 'Asia/Karachi')}**.")
    assert "Wed 25 Nov, 18:00 Asia/Karachi" in render(skipped)
