"""How QOTD results read: neutral Replies shared by the commands and the scheduled channel posts.

Markup is the small common subset: **bold**, line breaks and bullets; adapters translate it.
"""

from __future__ import annotations

from datetime import datetime

from commands.qotd.reports import report_button
from commands.replies import Button, Card, Field, Reply
from core.community.model import Community
from core.qotd.posts import DailyPost
from core.qotd.service import AnswerResult, Distribution, MemberStats, Review, Score
from core.questions.model import LETTERS, Question
from core.questions.taxonomy import Taxonomy

ACCENT = "#2f80ed"
CORRECT = "#27ae60"
ANSWER_ACTION = "qotd.answer"


def question_reply(post: DailyPost, question: Question, taxonomy: Taxonomy, *, mine: str | None = None,
                   private: bool = False) -> Reply:
    options = "\n".join(f"**{letter}.** {question.options[letter]}" for letter in LETTERS)
    card = Card(
        title=f"Question of the day · {post.local_date:%a %d %b %Y}",
        body=f"{question.stem}\n\n**{question.lead_in}**\n\n{options}",
        footer=tags_line(question, taxonomy),
        accent=ACCENT,
    )
    text = f"You answered **{mine}** — only your first answer counts." if mine else ""
    buttons = tuple(Button(letter, ANSWER_ACTION, (str(post.id), letter), "primary") for letter in LETTERS)
    return Reply(text=text, cards=(card,), buttons=buttons, private=private)


def feedback_reply(result: AnswerResult, community: Community, taxonomy: Taxonomy) -> Reply:
    q = result.question
    if result.already:
        head = f"You already answered this one (you chose **{result.choice}**). Only your first answer counts."
    elif result.correct:
        head = f"✅ Correct — **{q.answer}. {q.options[q.answer]}**"
    else:
        head = f"❌ Not quite — you chose **{result.choice}**."
    if not result.revealed:
        when = _local(result.post.reveal_at, community)
        return Reply(text=f"{head}\nThe answer, explanation and everyone's choices are revealed at **{when}**.", private=True)
    return Reply(text=head, cards=(explanation_card(result.question, result.distribution, taxonomy),),
                 buttons=(report_button(result.post.id),), private=True)


def explanation_card(question: Question, distribution: Distribution | None, taxonomy: Taxonomy, title: str = "Explanation") -> Card:
    right = question.answer
    others = "\n".join(f"• **{x}** — {question.explanations[x]}" for x in LETTERS if x != right)
    body = (f"**Answer: {right}. {question.options[right]}**\n{question.explanations[right]}\n\n"
            f"**Why not the others**\n{others}\n\n**Objective:** {question.objective}")
    fields = (Field("Answers", distribution_text(distribution, right), inline=False),) if distribution is not None else ()
    return Card(title=title, body=body, fields=fields, footer=tags_line(question, taxonomy), accent=CORRECT)


def reveal_reply(post: DailyPost, question: Question, distribution: Distribution, taxonomy: Taxonomy) -> Reply:
    title = f"Answer revealed · question of {post.local_date:%a %d %b %Y}"
    return Reply(text=f"**{question.lead_in}**", cards=(explanation_card(question, distribution, taxonomy, title),),
                 buttons=(report_button(post.id),))


def distribution_text(distribution: Distribution | None, right: str) -> str:
    if distribution is None or distribution.total == 0:
        return "No answers yet."
    lines = [f"{x}{' ✓' if x == right else ''}: {distribution.percent(x)}% ({distribution.counts.get(x, 0)})" for x in LETTERS]
    noun = "answer" if distribution.total == 1 else "answers"
    return "\n".join(lines) + f"\n{distribution.total} {noun}"


def review_reply(missed: list[Review], taxonomy: Taxonomy) -> Reply:
    """The oldest missed question first: unanswered ones can still be answered; wrong ones show the explanation."""
    if not missed:
        return Reply(text="Nothing to review — you have answered every past question correctly. 🎉", private=True)
    post, question, choice = missed[0].post, missed[0].question, missed[0].choice
    left = f"{len(missed)} question{'s' if len(missed) != 1 else ''} to review"
    if choice is None:
        shown = question_reply(post, question, taxonomy, private=True)
        return Reply(text=f"**Review** · {left}. You did not answer this one yet:", cards=shown.cards,
                     buttons=shown.buttons, private=True)
    return Reply(text=f"**Review** · {left}. You chose **{choice}** on {post.local_date:%a %d %b}:",
                 cards=(question_reply(post, question, taxonomy).cards[0], explanation_card(question, None, taxonomy)),
                 private=True)


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


def _local(at: datetime, community: Community) -> str:
    return f"{at.astimezone(community.zone):%H:%M on %a %d %b} ({community.timezone})"
