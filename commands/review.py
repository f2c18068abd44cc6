"""`/review`: the member's spaced-review queue, one question due today at a time, answered with the daily
question's own A–E buttons; and Review later, the button under an answer's feedback that adds its question.

A review's buttons carry the card and how many times it had been reviewed when they were shown, so they keep
working after a restart, and a second press of them (a double click, an old message) rates nothing.
"""

from __future__ import annotations

from commands.context import Context
from commands.moments import moment
from commands.qotd.reports import report_button
from commands.qotd.views import (
    ACCENT,
    REVIEW_LATER_ACTION,
    explanation_card,
    letter_buttons,
    question_body,
    tags_line,
)
from commands.registry import Option, action, command
from commands.replies import Button, Card, Reply, notice
from core.questions.model import LETTERS
from core.questions.taxonomy import Taxonomy
from core.review.service import Added, Due, Next, Reviewed
from core.storage.database import MAX_ROW_ID

ANSWER_ACTION = "review.answer"
NEXT_ACTION = "review.next"
MAX_REVIEWS = 2**31 - 1


@command("review", "Your spaced review: the next question due today, answered with the A–E buttons")
async def review(ctx: Context) -> Reply:
    return next_reply(await ctx.services.review.next(ctx.community_id, ctx.member.id), ctx.services.taxonomy)


@action(NEXT_ACTION)
async def next_review(ctx: Context) -> Reply:
    return await review(ctx)


@action(ANSWER_ACTION, Option("card", "The review card", kind="integer", min_value=1, max_value=MAX_ROW_ID),
        Option("reviews", "How often it had been reviewed when shown", kind="integer", min_value=0,
               max_value=MAX_REVIEWS),
        Option("letter", "The option chosen", choices=LETTERS))
async def answer(ctx: Context, card: int, reviews: int, letter: str) -> Reply:
    result = await ctx.services.review.answer(card, reviews, ctx.member, letter, ctx.community_id)
    return reviewed_reply(result, ctx.services.taxonomy)


@action(REVIEW_LATER_ACTION, Option("post", "The daily post", kind="integer", min_value=1, max_value=MAX_ROW_ID))
async def later(ctx: Context, post: int) -> Reply:
    return added_reply(await ctx.services.review.later(post, ctx.member, ctx.community_id))


def next_reply(found: Next, taxonomy: Taxonomy) -> Reply:
    card, question, due = found.card, found.question, found.due
    if card is None or question is None:
        return notice(_nothing_due(due))
    shown = Card(title="Spaced review", body=question_body(question), footer=tags_line(question, taxonomy),
                 accent=ACCENT)
    return Reply(text=f"**Review** · {_count(due.count, 'question')} due today", cards=(shown,),
                 buttons=letter_buttons(ANSWER_ACTION, str(card.id), str(card.reviews)), private=True)


def reviewed_reply(result: Reviewed, taxonomy: Taxonomy) -> Reply:
    """Right or wrong, the explanation, and when the question comes back, in the member's zone."""
    back = moment(result.card.schedule.due, result.due.where.zone, "f")
    if result.already:
        text = f"You already answered this review, so this press counted nothing. It comes back **{back}**."
        return Reply(text=f"{text}\n{_left(result.due)}", buttons=_next(result.due), private=True)
    q = result.question
    verdict = (f"✅ Correct — **{q.answer}. {q.options[q.answer]}**" if result.correct
               else f"❌ Not quite — you chose **{result.choice}**.")
    text = f"{verdict}\nIt comes back **{back}**.\n{_left(result.due)}"
    report = (report_button(result.card.post_id),) if result.card.post_id is not None else ()
    return Reply(text=text, cards=(explanation_card(q, None, taxonomy, mine=result.choice),),
                 buttons=(*report, *_next(result.due)), private=True)


def added_reply(added: Added) -> Reply:
    when = moment(added.due_at, added.where.zone, "f")
    if added.added:
        return notice(f"Added to your review queue: it comes back in `/review` from **{when}**.")
    return notice(f"That question is already in your review queue (due **{when}**), so nothing changed.")


def _nothing_due(due: Due) -> str:
    if due.queue.next_due is None:
        return ("Your review queue is empty. Questions you get wrong in `/qotd`, and any you mark **Review later**, "
                "come back here.")
    when = moment(due.queue.next_due, due.where.zone, "f")
    return f"Nothing to review today. The next review is due **{when}**; {_count(due.queue.queued, 'question')} queued."


def _left(due: Due) -> str:
    return f"{_count(due.count, 'more review')} due today." if due.count else "Nothing else is due today."


def _next(due: Due) -> tuple[Button, ...]:
    return (Button("Next review", NEXT_ACTION, (), "primary"),) if due.count else ()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
