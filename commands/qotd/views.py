"""How QOTD results read: neutral Replies shared by the commands and the scheduled channel posts.

Markup is the small common subset: **bold**, line breaks and bullets; adapters translate it. An instant a member
is shown (the reveal, the end of the window for changing a mis-tap) is a `moment` in the zone the member reads
times in, so Discord and Slack show it in each reader's zone and the console writes it out with the zone named.
"""

from __future__ import annotations

from commands.moments import moment
from commands.qotd.reports import report_button
from commands.replies import Button, Card, Field, Reply
from core.qotd.posts import DailyPost
from core.qotd.service import AnswerResult, Distribution, MemberStats, ReviewPage, Score, Seen
from core.questions.model import LETTERS, Question
from core.questions.taxonomy import Taxonomy

ACCENT = "#2f80ed"
CORRECT = "#27ae60"
ANSWER_ACTION = "qotd.answer"
REVIEW_ACTION = "qotd.review"
REVIEW_LATER_ACTION = "review.later"  # answered in commands/review.py, which builds on these views
YOURS = " ← your answer"


def question_reply(post: DailyPost, question: Question, taxonomy: Taxonomy, *, mine: str | None = None,
                   private: bool = False, due: int = 0) -> Reply:
    text = f"You answered **{mine}** — only your first answer counts." if mine else ""
    return Reply(text=with_due(text, due), cards=(question_card(post, question, taxonomy),), buttons=answer_buttons(post),
                 private=private)


def question_card(post: DailyPost, question: Question, taxonomy: Taxonomy) -> Card:
    return Card(title=f"Question of the day · {post.local_date:%a %d %b %Y}", body=question_body(question),
                footer=tags_line(question, taxonomy), accent=ACCENT)


def question_body(question: Question) -> str:
    """The stem, the lead-in and the options A–E: what any card that asks the question shows."""
    options = "\n".join(f"**{letter}.** {question.options[letter]}" for letter in LETTERS)
    return f"{question.stem}\n\n**{question.lead_in}**\n\n{options}"


def answer_buttons(post: DailyPost) -> tuple[Button, ...]:
    return letter_buttons(ANSWER_ACTION, str(post.id))


def letter_buttons(action: str, *args: str) -> tuple[Button, ...]:
    """A–E, each pressing `action` with `args` and its letter."""
    return tuple(Button(letter, action, (*args, letter), "primary") for letter in LETTERS)


def review_later_button(post_id: int) -> Button:
    return Button("Review later", REVIEW_LATER_ACTION, (str(post_id),))


def with_due(text: str, due: int) -> str:
    """The member's reviews due today, after the text, when there are any."""
    if not due:
        return text
    line = f"📚 **{due} review{'s' if due != 1 else ''} due** today — type `/review`."
    return f"{text}\n{line}" if text else line


def today_reply(seen: Seen, taxonomy: Taxonomy, due: int = 0) -> Reply:
    """/qotd: the question to answer, or, once its explanation is out to this member, the reveal card; `due`:
    the member's reviews due today."""
    if seen.distribution is None:
        return question_reply(seen.post, seen.question, taxonomy, mine=seen.mine, private=True, due=due)
    q, mine = seen.question, seen.mine
    if mine is None:
        text = "You did not answer this one; it comes back in `/qotd-review` after today."
    else:
        text = f"You answered **{mine}** — {'✅ correct' if mine == q.answer else '❌ not quite'}."
    explanation = explanation_card(q, seen.distribution, taxonomy, revealed_title(seen.post), mine=mine)
    later = () if mine is not None and mine != q.answer else (review_later_button(seen.post.id),)  # queued already
    return Reply(text=with_due(text, due), cards=(question_card(seen.post, q, taxonomy), explanation),
                 buttons=(report_button(seen.post.id), *later), private=True)


def feedback_reply(result: AnswerResult, zone: str, taxonomy: Taxonomy, due: int = 0) -> Reply:
    """While the member may still change a mis-tap, right or wrong is not shown: a second try after "Not quite"
    would be a second guess, not an undone slip. Times are in `zone`, the member's; `due` is their reviews due
    today. A wrong answer that stands is in their review queue already; any other can be put there."""
    head = _verdict(result)
    if result.change_until:
        until = moment(result.change_until, zone, "T")
        head += (f"\nMis-tap? Tap another letter until **{until}** to change it. After that, tap any letter to see "
                 "whether you were right.")
    queued = result.change_until is None and not result.correct
    if queued:
        head += "\nIt is in your review queue: it comes back in `/review`."
    later = () if queued else (review_later_button(result.post.id),)
    if not result.revealed:
        when = moment(result.post.reveal_at, zone, "f")
        return Reply(text=with_due(f"{head}\nThe answer, explanation and everyone's choices are revealed at **{when}**.", due),
                     buttons=later, private=True)
    return Reply(text=with_due(head, due),
                 cards=(explanation_card(result.question, result.distribution, taxonomy, mine=result.choice),),
                 buttons=(report_button(result.post.id), *later), private=True)


def _verdict(result: AnswerResult) -> str:
    q, chose = result.question, f"**{result.choice}**"
    if result.changed:
        return f"Changed to {chose} — only your final answer counts."
    if result.change_until:
        return f"You chose {chose}."
    right = "✅ correct" if result.correct else "❌ not quite"
    if result.already:
        return f"You already answered this one: {chose}, {right}. Only your first answer counts."
    return f"✅ Correct — **{q.answer}. {q.options[q.answer]}**" if result.correct else f"❌ Not quite — you chose {chose}."


def explanation_card(question: Question, distribution: Distribution | None, taxonomy: Taxonomy,
                     title: str = "Explanation", *, mine: str | None = None) -> Card:
    """The answer, why each other option is wrong, the objective and the references the question was checked
    against; `mine` marks the member's own choice where the card is shown to them alone."""
    right = question.answer

    def yours(letter: str) -> str:
        return YOURS if letter == mine else ""

    others = "\n".join(f"• **{x}**{yours(x)} — {question.explanations[x]}" for x in LETTERS if x != right)
    body = (f"**Answer: {right}. {question.options[right]}**{yours(right)}\n{question.explanations[right]}\n\n"
            f"**Why not the others**\n{others}\n\n**Objective:** {question.objective}")
    fields: tuple[Field, ...] = ()
    if distribution is not None:
        fields += (Field("Answers", distribution_text(distribution, right, mine), inline=False),)
    if question.references:
        fields += (Field("References", "\n".join(f"• {r}" for r in question.references), inline=False),)
    return Card(title=title, body=body, fields=fields, footer=tags_line(question, taxonomy), accent=CORRECT)


def reveal_reply(post: DailyPost, question: Question, distribution: Distribution, taxonomy: Taxonomy) -> Reply:
    title = revealed_title(post)
    return Reply(text=f"**{question.lead_in}**", cards=(explanation_card(question, distribution, taxonomy, title),),
                 buttons=(report_button(post.id),))


def revealed_title(post: DailyPost) -> str:
    return f"Answer revealed · question of {post.local_date:%a %d %b %Y}"


def distribution_text(distribution: Distribution | None, right: str, mine: str | None = None) -> str:
    if distribution is None or distribution.total == 0:
        return "No answers yet."
    shares = distribution.percentages()
    lines = [f"{x}{' ✓' if x == right else ''}: {shares[x]}% ({distribution.counts.get(x, 0)}){YOURS if x == mine else ''}"
             for x in LETTERS]
    noun = "answer" if distribution.total == 1 else "answers"
    return "\n".join(lines) + f"\n{distribution.total} {noun}"


def review_reply(page: ReviewPage, zone: str, taxonomy: Taxonomy) -> Reply:
    """One question at a time, "2 of 4", with Back and Next: skipped ones keep their answer buttons, wrong ones
    show the explanation with the member's choice marked (once it is out; until then, when, in `zone`)."""
    item = page.shown
    if item is None:
        return Reply(text=_nothing_to_review(page), private=True)
    where = f"**Review** · {page.position} of {page.total} · {item.post.local_date:%a %d %b}"
    card = question_card(item.post, item.question, taxonomy)
    paging = _paging(page)
    if item.choice is None:
        return Reply(text=f"{where}: you did not answer this one. You can still answer it:", cards=(card,),
                     buttons=answer_buttons(item.post) + paging, private=True)
    text = f"{where}: you chose **{item.choice}** — not quite."
    if item.distribution is None:
        text += f" The explanation is revealed at **{moment(item.post.reveal_at, zone, 'f')}**."
        return Reply(text=text, cards=(card,), buttons=paging, private=True)
    explanation = explanation_card(item.question, item.distribution, taxonomy, mine=item.choice)
    return Reply(text=text, cards=(card, explanation), buttons=(report_button(item.post.id), *paging), private=True)


def _paging(page: ReviewPage) -> tuple[Button, ...]:
    """Each button names the day it leads to: a page is found again from that alone, after a restart too."""
    steps = (("Back", page.earlier), ("Next", page.later))
    return tuple(Button(label, REVIEW_ACTION, (str(day.toordinal()),)) for label, day in steps if day is not None)


def _nothing_to_review(page: ReviewPage) -> str:
    if page.past_posts:
        return "Nothing to review — you answered every past question correctly. 🎉"
    if page.answered:
        return ("No past questions here yet, so nothing to review. Questions you skip or get wrong come back here "
                "after their day.")
    return ("Nothing to review yet: you have not answered a question of the day here. Type `/qotd` for today's; "
            "questions you skip or get wrong come back here.")


def stats_reply(stats: MemberStats, name: str, taxonomy: Taxonomy) -> Reply:
    if stats.overall.answered == 0 and stats.reviewed.answered == 0:
        return Reply(text="You have not answered a question of the day here yet. Type `/qotd` to start.", private=True)
    fields: tuple[Field, ...] = (
        Field("Answered", str(stats.overall.answered)),
        Field("Accuracy", f"{stats.overall.accuracy}% ({stats.overall.correct}/{stats.overall.answered})"),
        Field("By system", _scores(stats.by_system, taxonomy) or "—", inline=False),
        Field("By discipline", _scores(stats.by_discipline, taxonomy) or "—", inline=False),
    )
    if stats.reviewed.answered:
        fields += (Field("Answered in review (after the explanation was out; not in your accuracy)",
                         f"{stats.reviewed.answered} ({stats.reviewed.correct} correct)", inline=False),)
    return Reply(cards=(Card(title=f"QOTD stats · {name}", fields=fields, accent=ACCENT),), private=True)


def tags_line(question: Question, taxonomy: Taxonomy) -> str:
    return " · ".join(taxonomy.label(t) for t in (question.step, question.system, *question.disciplines))


def _scores(scores: dict[str, Score], taxonomy: Taxonomy, limit: int = 10) -> str:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1].answered, kv[0]))[:limit]
    return "\n".join(f"{taxonomy.label(k)}: {s.accuracy}% ({s.correct}/{s.answered})" for k, s in ranked)



def discussion_name(post: DailyPost, question: Question, taxonomy: Taxonomy) -> str:
    """A thread's name says which day's question it discusses, and its system, never its answer."""
    return f"QOTD {post.local_date:%a %d %b} · {taxonomy.label(question.system)}"[:100]


def discussion_reply(post: DailyPost, zone: str) -> Reply:
    if post.immediate:
        when = "each answer's explanation comes with it"
    else:
        when = f"the answer and explanation are revealed at **{moment(post.reveal_at, zone, 't')}**"
    return Reply(text=f"💬 Discuss today's question here: {when}. Answer with the buttons first, and keep the answer "
                      "out of the channel for those still thinking.")
