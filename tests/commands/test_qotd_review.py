"""The review, /qotd after the reveal, the reveal card and undoing a mis-tap, through the console harness."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from bots.console.session import ConsoleSession
from commands.moments import moment
from core.bootstrap import build
from core.questions.model import LETTERS
from core.settings import Settings


async def right_answer(services, reply) -> str:
    """The correct letter of the question whose answer buttons `reply` carries."""
    post = await services.qotd.post(int(reply.buttons[0].args[0]))
    return (await services.bank.get(post.question_id)).answer


def wrong_for(right: str) -> str:
    return next(x for x in LETTERS if x != right)


def labels(reply) -> list[str]:
    return [b.label for b in reply.buttons]


async def test_the_review_pages_through_wrong_and_skipped_days(console, services, clock):
    """Three wrong days and one skipped one: every question is reachable with Next and Back, the skipped one can
    still be answered (a review answer), and the wrong ones show the explanation with the member's choice."""
    alice = console()
    wrongs, posts = [], []
    for _ in range(3):
        shown = await alice.send("/qotd")
        posts.append(shown.buttons[0].args[0])
        wrongs.append(wrong_for(await right_answer(services, shown)))
        await alice.send(f"[{wrongs[-1]}]")
        clock.advance(days=1)
    skipped = await alice.send("/qotd")
    clock.advance(days=1)

    first = await alice.send("/qotd-review")
    assert first.text.startswith("**Review** · 1 of 4") and f"you chose **{wrongs[0]}**" in first.text
    assert labels(first) == ["Report a problem", "Next"]  # the explanation is shown: it can be reported
    assert first.buttons[0].custom_id == f"rounds:form:qotd-report:post={posts[0]}"
    assert first.cards[1].title == "Explanation" and "← your answer" in first.cards[1].body
    assert "← your answer" in next(f.value for f in first.cards[1].fields if f.name == "Answers")

    second = await alice.send("[Next]")
    third = await alice.send("[Next]")
    assert "2 of 4" in second.text and "3 of 4" in third.text and labels(third) == ["Report a problem", "Back", "Next"]
    assert f"you chose **{wrongs[2]}**" in third.text and third.buttons[0].custom_id.endswith(f":post={posts[2]}")
    fourth = await alice.send("[Next]")
    assert "4 of 4" in fourth.text and "did not answer" in fourth.text
    assert labels(fourth) == [*LETTERS, "Back"]
    assert fourth.buttons[0].custom_id == skipped.buttons[0].custom_id  # the day's own answer buttons
    assert all(len(b.custom_id) <= 100 for b in (*first.buttons, *third.buttons, *fourth.buttons))

    late = await alice.send(f"[{await right_answer(services, fourth)}]")
    assert "Correct" in late.text and late.cards[0].title == "Explanation"
    stats = await services.qotd.stats("console:alice", "console:default")
    assert (stats.overall.answered, stats.reviewed.answered, stats.reviewed.correct) == (3, 1, 1)

    back = await alice.send("[Back]")  # the review's buttons are still the ones on screen
    assert "3 of 3" in back.text and f"you chose **{wrongs[2]}**" in back.text
    assert (await alice.send("/qotd-review")).text.startswith("**Review** · 1 of 3")


async def test_a_review_button_works_in_a_new_process(console, services, clock, database):
    """The custom id is all the state: a restarted process finds the page from it."""
    alice = console()
    for _ in range(2):
        await alice.send("/qotd")  # seen, skipped
        clock.advance(days=1)
    review = await alice.send("/qotd-review")
    restarted = await build(Settings(db_path=database), clock=clock)
    try:
        again = ConsoleSession(restarted, alice.dispatcher, user="alice")
        again.remember(review)
        page = await again.send("[Next]")
        assert "2 of 2" in page.text and labels(page) == [*LETTERS, "Back"]
    finally:
        await restarted.close()


async def test_nothing_to_review_says_why(console, services, clock):
    newcomer = console("nia")
    assert "not answered a question of the day" in (await newcomer.send("/qotd-review")).text

    alice = console("alice")
    shown = await alice.send("/qotd")
    await alice.send(f"[{await right_answer(services, shown)}]")
    first_day = (await alice.send("/qotd-review")).text
    assert "No past questions" in first_day and "🎉" not in first_day

    clock.advance(days=1)
    done = await alice.send("/qotd-review")
    assert "every past question correctly" in done.text and not done.buttons


async def test_a_members_only_answer_being_wrong_is_listed(console, services, clock):
    bob = console("bob")
    shown = await bob.send("/qotd")
    right = await right_answer(services, shown)
    await bob.send(f"[{wrong_for(right)}]")
    clock.advance(seconds=11)  # past the mis-tap window: the answer stands and can be judged

    review = await bob.send("/qotd-review")
    assert "1 of 1" in review.text and "not quite" in review.text and "🎉" not in review.text
    assert "revealed at" in review.text and len(review.cards) == 1  # no explanation before the reveal

    clock.advance(hours=13)
    revealed = await bob.send("/qotd-review")
    assert revealed.cards[1].title == "Explanation" and f"**Answer: {right}." in revealed.cards[1].body


async def test_qotd_after_the_reveal_shows_the_reveal_card_with_your_choice(console, services, clock):
    alice, bob = console("alice"), console("bob")
    shown = await alice.send("/qotd")
    right = await right_answer(services, shown)
    await alice.send(f"[{wrong_for(right)}]")

    clock.advance(hours=13)  # past the reveal
    card = await alice.send("/qotd")
    assert labels(card) == ["Report a problem"] and card.private  # no answer buttons, the reveal can be reported
    assert card.buttons[0].custom_id == f"rounds:form:qotd-report:post={shown.buttons[0].args[0]}"
    assert f"You answered **{wrong_for(right)}** — ❌ not quite" in card.text
    explanation = card.cards[1]
    assert explanation.title.startswith("Answer revealed") and f"**Answer: {right}." in explanation.body
    assert "Why not the others" in explanation.body and f"**{wrong_for(right)}** ← your answer" in explanation.body
    answers = next(f.value for f in explanation.fields if f.name == "Answers")
    assert f"{wrong_for(right)}: 100% (1) ← your answer" in answers

    unanswered = await bob.send("/qotd")
    assert labels(unanswered) == ["Report a problem", "Review later"] and "did not answer" in unanswered.text


async def test_immediate_reveal_shows_the_question_until_you_answer(console, services):
    admin = console("ada", admin=True)
    await admin.send("/rounds reveal immediately")
    assert labels(await admin.send("/qotd")) == list(LETTERS)
    await admin.send("[C]")
    after = await admin.send("/qotd")
    _, question = await services.qotd.today(await services.communities.get("console:default"))
    later = ["Review later"] if question.answer == "C" else []  # a wrong answer is in the review queue already
    assert labels(after) == ["Report a problem", *later] and after.cards[1].title.startswith("Answer revealed")


async def test_the_reveal_card_adds_up_to_100_and_shows_the_references(console, services, clock, notifier):
    admin = console("ada", admin=True)
    await admin.send("/rounds channel")
    await services.runner.run_due()  # today's post goes out at once: its time has passed
    [(_, post)] = notifier.posts
    for name, letter in zip(("a", "b", "c"), "ABC", strict=True):
        member = console(name)
        member.remember(post)
        await member.send(f"[{letter}]")
    clock.advance(hours=13)
    await services.runner.run_due()
    reveal = notifier.posts[-1][1].cards[0]
    answers = next(f.value for f in reveal.fields if f.name == "Answers")
    assert [line.split(": ")[1].split("%")[0] for line in answers.splitlines()[:5]] == ["34", "33", "33", "0", "0"]
    assert "← your answer" not in answers  # the channel's card marks nobody's choice
    question = await services.bank.get((await services.qotd.post(int(post.buttons[0].args[0]))).question_id)
    references = next(f.value for f in reveal.fields if f.name == "References")
    assert question.references and all(r in references for r in question.references)


async def test_a_mis_tap_can_be_changed_for_ten_seconds(console, services, clock):
    alice = console()
    shown = await alice.send("/qotd")
    post_id = int(shown.buttons[0].args[0])
    right = await right_answer(services, shown)

    first = await alice.send("[B]")
    assert first.text.startswith("You chose **B**.")  # not yet whether it is right: a change is for a mis-tap
    until = moment(datetime(2026, 11, 24, 10, 0, 10, tzinfo=UTC), "UTC", "T")  # 10:00:10, written as "10:00:10 UTC"
    assert f"Tap another letter until **{until}** to change it" in first.text
    clock.advance(seconds=4)
    changed = await alice.send("[C]")
    assert changed.text.startswith("Changed to **C** — only your final answer counts")
    assert f"until **{until}**" in changed.text  # the window counts from the first press
    assert [r["choice"] for r in await services.db.fetchall(text("SELECT choice FROM answers"))] == ["C"]

    clock.advance(seconds=6)  # 10:00:10: the window has closed
    late = await alice.send("[D]")
    verdict = "✅ correct" if right == "C" else "❌ not quite"
    assert f"You already answered this one: **C**, {verdict}. Only your first answer counts." in late.text
    assert (await services.qotd.distribution(post_id)).counts == {"C": 1}
    assert "You answered **C**" in (await alice.send("/qotd")).text


async def test_no_change_once_the_explanation_is_out(console, services):
    admin = console("ada", admin=True)
    await admin.send("/rounds reveal immediately")
    right = await right_answer(services, await admin.send("/qotd"))
    first = await admin.send("[B]")
    assert first.cards and "Mis-tap?" not in first.text and "to change it" not in first.text
    assert first.text.startswith("✅ Correct — **B." if right == "B" else "❌ Not quite — you chose **B**.")  # at once
    again = await admin.send("[C]")
    assert "Only your first answer counts" in again.text
    assert (await services.db.fetchone(text("SELECT choice FROM answers")))["choice"] == "B"


async def test_the_review_does_not_judge_an_answer_that_may_still_be_changed(console, services, clock) -> None:
    alice = console("alice")
    await alice.send("/qotd")
    post, question = await services.qotd.today(await services.communities.get("console:default"))
    wrong = next(letter for letter in "ABCDE" if letter != question.answer)
    await alice.send(f"[{wrong}]")
    hidden = await alice.send("/qotd-review")
    assert "not quite" not in hidden.text and "1 of 1" not in hidden.text
    clock.advance(seconds=11)
    judged = await alice.send("/qotd-review")
    assert f"you chose **{wrong}** — not quite" in judged.text
