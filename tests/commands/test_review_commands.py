"""Spaced review through the console harness, down to the database (SQLite, then PostgreSQL): a wrong answer to the
daily question entering the queue (and a mis-tap undone taking it back), Review later, `/review` and its schedule
moving with right and wrong answers, a double click rating once, due counts in each member's own day (zone and
rollover hour), the streak a review keeps, privacy, and bad buttons.

The clock is the test's FrozenClock: the community is in UTC, posts at 09:00 and reveals at 21:00; it starts at
10:00 UTC on Tuesday 24 November 2026.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bots.console.session import ConsoleSession
from commands.moments import fallback, localize
from commands.replies import Reply
from commands.review import ANSWER_ACTION
from core.bootstrap import build
from core.questions.model import LETTERS
from core.settings import Settings
from core.storage.schema import activity, review_cards
from core.storage.transfer import forget_member, member_data
from tests.conftest import START

DAY = timedelta(days=1)


def read(reply: Reply) -> str:
    """The reply as the console shows it (every moment written in the zone it names)."""
    return localize(reply, fallback).plain_text()


def labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.buttons]


async def right_answer(services, reply: Reply) -> str:
    """The key of the daily question whose A–E buttons `reply` carries."""
    post = await services.qotd.post(int(reply.buttons[0].args[0]))
    return (await services.bank.get(post.question_id)).answer


async def review_key(services, reply: Reply) -> str:
    """The key of the review question whose A–E buttons `reply` carries."""
    card = await card_by_id(services, int(reply.buttons[0].args[0]))
    return (await services.bank.get(card["question_id"])).answer


def wrong_for(right: str) -> str:
    return next(x for x in LETTERS if x != right)


async def cards_of(services, member: str) -> list[dict]:
    found = await services.db.fetchall(select(review_cards).where(review_cards.c.member_id == f"console:{member}")
                                       .order_by(review_cards.c.id))
    return [dict(row) for row in found]


async def card_by_id(services, card_id: int) -> dict:
    return dict(await services.db.fetchone(select(review_cards).where(review_cards.c.id == card_id)))


def due_of(card: dict) -> datetime:
    return datetime.fromisoformat(card["due_at"]).astimezone(UTC)


async def missed(console, services, user: str = "alice") -> ConsoleSession:
    """`user` answers today's question wrong, and the answer stands (past the mis-tap window)."""
    member = console(user)
    shown = await member.send("/qotd")
    await member.send(f"[{wrong_for(await right_answer(services, shown))}]")
    return member


# -- entering the queue --------------------------------------------------------------------------------------------
async def test_a_wrong_first_answer_enters_the_queue_due_the_next_day(console, services, clock):
    alice = await missed(console, services)
    [card] = await cards_of(services, "alice")
    assert (card["origin"], card["reviews"], card["community_id"]) == ("missed", 0, "console:default")
    assert due_of(card) == START + DAY  # the miss was the card's first rating (Again): back after one day

    clock.advance(seconds=11)  # the answer stands: the feedback says where it went, and offers no Review later
    again = await alice.send("[A]")
    assert "It is in your review queue" in again.text and "Review later" not in labels(again)
    nothing = await alice.send("/review")
    assert nothing.private and "Nothing to review today" in nothing.text
    assert "Wed 25 Nov, 10:00 UTC" in read(nothing) and "1 question queued" in nothing.text
    assert len(await cards_of(services, "alice")) == 1  # a second press entered nothing more


async def test_a_right_answer_enters_nothing_and_an_undone_mis_tap_takes_its_card_back(console, services, clock):
    bob = console("bob")
    shown = await bob.send("/qotd")
    right = await right_answer(services, shown)
    await bob.send(f"[{right}]")
    assert await cards_of(services, "bob") == []

    carol = console("carol")
    carol.remember(shown)
    await carol.send(f"[{wrong_for(right)}]")  # a mis-tap…
    assert len(await cards_of(services, "carol")) == 1
    await carol.send(f"[{right}]")  # …changed within its window
    assert await cards_of(services, "carol") == []

    dan = console("dan")
    dan.remember(shown)
    await dan.send(f"[{right}]")
    await dan.send(f"[{wrong_for(right)}]")  # changed to a wrong one: that is a miss
    assert [c["origin"] for c in await cards_of(services, "dan")] == ["missed"]


async def test_review_later_adds_once_and_a_double_click_says_it_is_queued(console, services, clock):
    bob = console("bob")
    shown = await bob.send("/qotd")
    clock.advance(seconds=11)
    feedback = await bob.send(f"[{await right_answer(services, shown)}]")
    assert "Review later" in labels(feedback)

    added = await bob.send("[Review later]")
    assert added.private and "Added to your review queue" in added.text
    assert "Wed 25 Nov, 00:00 UTC" in read(added)  # from when bob's next day begins
    again = await bob.send("[Review later]")
    assert "already in your review queue" in again.text and "nothing changed" in again.text
    [card] = await cards_of(services, "bob")
    assert (card["origin"], card["reviews"]) == ("asked", 0)


async def test_review_later_on_a_mis_tap_keeps_the_card_when_the_answer_is_changed(console, services):
    carol = console("carol")
    shown = await carol.send("/qotd")
    right = await right_answer(services, shown)
    await carol.send(f"[{wrong_for(right)}]")
    assert "already in your review queue" in (await carol.send("[Review later]")).text
    await carol.send(f"[{right}]")  # the mis-tap undone: the card stays, carol asked for it
    assert [c["origin"] for c in await cards_of(services, "carol")] == ["asked"]


# -- /review and the schedule --------------------------------------------------------------------------------------
async def test_the_schedule_moves_with_wrong_and_right_answers(console, services, clock):
    alice = await missed(console, services)
    clock.set(START + DAY)
    today = await alice.send("/qotd")
    assert "📚 **1 review due** today" in today.text

    shown = await alice.send("/review")
    assert shown.text == "**Review** · 1 question due today" and labels(shown) == list(LETTERS)
    card_id = int(shown.buttons[0].args[0])
    assert shown.buttons[0].custom_id == f"rounds:{ANSWER_ACTION}:{card_id}:0:A"
    key = await review_key(services, shown)
    assert shown.cards[0].title == "Spaced review" and "**A.**" in shown.cards[0].body

    wrong = await alice.send(f"[{wrong_for(key)}]")
    assert wrong.text.startswith(f"❌ Not quite — you chose **{wrong_for(key)}**.")
    assert "It comes back **Thu 26 Nov, 10:00 UTC**" in read(wrong)  # Again: back within a day
    assert wrong.cards[0].title == "Explanation" and f"**Answer: {key}." in wrong.cards[0].body
    assert "Nothing else is due today." in wrong.text and "Next review" not in labels(wrong)
    card = await card_by_id(services, card_id)
    assert due_of(card) - clock.now() <= DAY and (card["reviews"], card["lapses"]) == (1, 1)

    intervals = []
    for _ in range(3):  # each right answer when it falls due pushes it further out
        clock.set(due_of(await card_by_id(services, card_id)))
        await alice.send("/review")
        right = await alice.send(f"[{key}]")
        assert right.text.startswith(f"✅ Correct — **{key}.")
        intervals.append(due_of(await card_by_id(services, card_id)) - clock.now())
    # missed twice, the memory is weak: the first right answer gives a day, then FSRS's intervals grow
    assert DAY <= intervals[0] < intervals[1] < intervals[2], intervals  # 1, 2, 4 days: a hard card grows slowly
    assert (await card_by_id(services, card_id))["reviews"] == 4


async def test_a_double_click_or_an_old_review_button_rates_once(console, services, clock):
    alice = await missed(console, services)
    clock.set(START + DAY)
    shown = await alice.send("/review")
    key = await review_key(services, shown)
    [button] = [b for b in shown.buttons if b.label == key]
    first = await alice.dispatcher.press(alice.context, button.custom_id)
    second = await alice.dispatcher.press(alice.context, button.custom_id)
    assert first.text.startswith("✅ Correct")
    assert second.text.startswith("You already answered this review") and "It comes back" in second.text
    [card] = await cards_of(services, "alice")
    assert card["reviews"] == 1 and due_of(card) >= clock.now() + 2 * DAY  # rated once, as Good
    reviews = await services.db.fetchone(select(func.count().label("n")).select_from(activity)
                                         .where(activity.c.source == "review"))
    assert reviews["n"] == 1
    wrong = await alice.dispatcher.press(alice.context, button.custom_id.replace(f":{key}", f":{wrong_for(key)}"))
    assert "already answered" in wrong.text and (await cards_of(services, "alice"))[0]["lapses"] == 0


async def test_two_presses_at_once_rate_the_review_once(console, services, clock):
    """Both read the card as it was; the compare-and-set on its review count lets one write."""
    alice = await missed(console, services)
    clock.set(START + DAY)
    shown = await alice.send("/review")
    custom_id = shown.buttons[0].custom_id
    replies = await asyncio.gather(*(alice.dispatcher.press(alice.context, custom_id) for _ in range(3)))
    assert sum("already answered" in r.text for r in replies) == 2
    [card] = await cards_of(services, "alice")
    assert card["reviews"] == 1
    reviews = await services.db.fetchone(select(func.count().label("n")).select_from(activity)
                                         .where(activity.c.source == "review"))
    assert reviews["n"] == 1


async def test_a_review_button_works_in_a_new_process(console, services, clock, database):
    alice = await missed(console, services)
    clock.set(START + DAY)
    shown = await alice.send("/review")
    key = await review_key(services, shown)
    restarted = await build(Settings(db_path=database), clock=clock)
    try:
        again = ConsoleSession(restarted, alice.dispatcher, user="alice")
        again.remember(shown)
        assert (await again.send(f"[{key}]")).text.startswith("✅ Correct")
    finally:
        await restarted.close()


async def test_next_review_walks_through_what_is_due(console, services, clock):
    alice = await missed(console, services)
    clock.advance(days=1)
    await missed(console, services)  # a second day's question, also wrong
    clock.advance(days=1)
    first = await alice.send("/review")
    assert first.text == "**Review** · 2 questions due today"
    answered = await alice.send(f"[{await review_key(services, first)}]")
    assert "1 more review due today." in answered.text and labels(answered)[-1] == "Next review"
    second = await alice.send("[Next review]")
    assert second.text == "**Review** · 1 question due today"
    assert second.buttons[0].args[0] != first.buttons[0].args[0]


async def test_an_empty_queue_says_how_questions_get_there(console):
    reply = await console("nia").send("/review")
    assert reply.private and "Your review queue is empty" in reply.text and "Review later" in reply.text


# -- the member's own day -----------------------------------------------------------------------------------------
async def test_due_today_follows_each_members_zone_and_rollover(console, services, clock):
    """Both miss Wednesday's question at 10:00 UTC, so their cards fall due at 10:00 UTC on Thursday. At 20:00 UTC on
    Wednesday it is 01:30 Thursday in Kolkata, still Wednesday for a day that ends at 04:00, and that day ends at
    22:30 UTC: the card is not due today. In Los Angeles it is noon on Wednesday, a day that ends at 12:00 UTC on
    Thursday: due today."""
    asha, luis = console("asha"), console("luis")
    await asha.send("/timezone zone:Asia/Kolkata rollover:4")
    await luis.send("/timezone zone:America/Los_Angeles rollover:4")
    clock.set(datetime(2026, 11, 25, 10, tzinfo=UTC))
    for member in (asha, luis):
        shown = await member.send("/qotd")
        await member.send(f"[{wrong_for(await right_answer(services, shown))}]")
    assert {due_of(c) for m in ("asha", "luis") for c in await cards_of(services, m)} == {
        datetime(2026, 11, 26, 10, tzinfo=UTC)}

    clock.set(datetime(2026, 11, 25, 20, tzinfo=UTC))
    assert (await services.review.due("console:default", "console:asha")).count == 0
    assert (await services.review.due("console:default", "console:luis")).count == 1
    assert "1 review due" in (await luis.send("/qotd")).text
    assert "review due" not in (await asha.send("/qotd")).text
    assert (await luis.send("/review")).text == "**Review** · 1 question due today"
    waiting = await asha.send("/review")
    assert "Nothing to review today" in waiting.text and "Thu 26 Nov, 15:30 Asia/Kolkata" in read(waiting)

    await asha.send("/timezone rollover:0")  # her Thursday began at midnight and ends at 18:30 UTC on Thursday
    assert (await services.review.due("console:default", "console:asha")).count == 1
    await asha.send("/timezone rollover:4")
    clock.set(datetime(2026, 11, 25, 22, 29, tzinfo=UTC))  # 03:59 in Kolkata: still her Wednesday
    assert (await services.review.due("console:default", "console:asha")).count == 0
    clock.set(datetime(2026, 11, 25, 22, 30, tzinfo=UTC))  # 04:00: her Thursday has begun
    assert (await services.review.due("console:default", "console:asha")).count == 1


# -- streaks, privacy, bad input ----------------------------------------------------------------------------------
async def test_a_review_answer_keeps_the_streak_going(console, services, clock):
    alice = await missed(console, services)  # Tuesday's activity: the daily question
    clock.set(START + DAY)  # Wednesday: only a review
    shown = await alice.send("/review")
    await alice.send(f"[{wrong_for(await review_key(services, shown))}]")  # a wrong review counts too
    summary = await services.streaks.summary("console:default", "console:alice")
    assert summary.streak.current == 2 and summary.totals["review"].count == 1
    [row] = await services.db.fetchall(select(activity).where(activity.c.source == "review"))
    assert (row["local_day"], row["questions"]) == ("2026-11-25", 1)


async def test_privacy_lists_the_review_cards_and_erasing_deletes_them(console, services):
    await missed(console, services)
    [card] = await cards_of(services, "alice")
    exported = await member_data(services.db, "console:alice")
    assert [(c["community"], c["question_id"], c["origin"]) for c in exported["review_cards"]] == [
        ("console:default", card["question_id"], "missed")]
    shown = await console("alice").send("/privacy export")
    assert '"review_cards"' in shown.cards[0].body and card["question_id"] in shown.cards[0].body

    done = await forget_member(services.db, "console:alice")
    assert done.reviews == 1 and await cards_of(services, "alice") == []
    assert (await member_data(services.db, "console:alice"))["review_cards"] == []


async def test_someone_elses_or_a_forged_review_button_is_refused(console, services, clock, dispatcher):
    alice = await missed(console, services)
    clock.set(START + DAY)
    shown = await alice.send("/review")
    bob = console("bob")
    theirs = await dispatcher.press(bob.context, shown.buttons[0].custom_id)
    assert theirs.private and "not in your queue" in theirs.text
    elsewhere = console("alice", community="other")
    assert "not in your queue" in (await dispatcher.press(elsewhere.context, shown.buttons[0].custom_id)).text
    for forged in (f"rounds:{ANSWER_ACTION}:999999:0:A", f"rounds:{ANSWER_ACTION}:1:0:Z", f"rounds:{ANSWER_ACTION}:x:0:A",
                   f"rounds:{ANSWER_ACTION}:1:-1:A", "rounds:review.later:99999", "rounds:review.later:0"):
        reply = await dispatcher.press(alice.context, forged)
        assert reply.private and "Traceback" not in reply.text and "went wrong" not in reply.text, forged
        assert len(reply.text.splitlines()) == 1, forged
    assert (await cards_of(services, "alice"))[0]["reviews"] == 0
