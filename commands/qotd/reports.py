"""Reporting a problem with a question: the member's `/qotd-report` (which the "Report a problem" button on the
reveal opens as a form, the post filled in), and the admins' `/rounds reports` to read and resolve them."""

from __future__ import annotations

from commands.context import Context
from commands.forms import form_button
from commands.registry import Option, command
from commands.replies import Button, Card, Field, Reply, notice
from core.community.model import Community
from core.qotd.reporting import NOTE_LIMIT, Filed
from core.qotd.reports import OpenReport
from core.storage.database import MAX_ROW_ID
from core.text import clip

REPORT_COMMAND = "qotd-report"
SHOWN_QUESTIONS = 10  # a Discord embed takes 25 fields, but ten questions is already a long read
SHOWN_NOTES = 4
NOTE_CLIP = 150
ACCENT = "#eb5757"
MAX_QUESTION_ID = 200  # a community's own ids are '<community id>/<id in the file>'


def report_button(post_id: int) -> Button:
    return form_button("Report a problem", REPORT_COMMAND, {"post": str(post_id)})


@command(REPORT_COMMAND, "Tell this community's admins about a problem with a question of the day (a wrong answer, a typo)",
         Option("note", "What is wrong with the question, in a sentence or two", required=True, max_length=NOTE_LIMIT),
         Option("post", "The daily post (the Report a problem button fills it in); today's if left out", kind="integer",
                min_value=1, max_value=MAX_ROW_ID))
async def report(ctx: Context, note: str, post: int | None = None) -> Reply:
    if post is None:
        post = (await ctx.services.qotd.today(await ctx.community()))[0].id
    return filed_reply(await ctx.services.reports.file(post, ctx.member, note, ctx.community_id))


@command("rounds reports", "Members' reports of problems with questions, newest first; resolve:<question id> closes them",
         Option("resolve", "The id of a question whose reports are dealt with", max_length=MAX_QUESTION_ID), admin=True)
async def reports(ctx: Context, resolve: str | None = None) -> Reply:
    if resolve:
        closed = await ctx.services.reports.resolve(ctx.community_id, resolve)
        return notice(f"Closed {closed} report{'s' if closed != 1 else ''} on `{resolve}`.")
    return reports_reply(await ctx.services.reports.open(ctx.community_id), await ctx.community())


def filed_reply(filed: Filed) -> Reply:
    if filed.updated:
        return notice(f"Your report on question `{filed.question_id}` now says this instead. The admins will see it.")
    return notice(f"Thanks — your report on question `{filed.question_id}` is with this community's admins.")


def reports_reply(found: list[OpenReport], community: Community) -> Reply:
    if not found:
        return notice("No open reports. Members report a problem with the **Report a problem** button on a revealed answer.")
    shown = found[:SHOWN_QUESTIONS]
    fields = tuple(Field(_heading(r), _details(r, community), inline=False) for r in shown)
    more = len(found) - len(shown)
    text = f"{len(found)} question{'s' if len(found) != 1 else ''} with open reports, the most recent first."
    if more:
        text += f" The {more} oldest are not shown: resolve some to see them."
    card = Card(title="Open reports", fields=fields, accent=ACCENT,
                footer="When a question's reports are dealt with: /rounds reports resolve:<question id>")
    return Reply(text=text, cards=(card,), private=True)


def _heading(found: OpenReport) -> str:
    return f"{found.question_id} · {found.members} member{'s' if found.members != 1 else ''}"


def _details(found: OpenReport, community: Community) -> str:
    notes = [f"• {clip(note, NOTE_CLIP)}" for note in found.notes[:SHOWN_NOTES]]
    if len(found.notes) > SHOWN_NOTES:
        notes.append(f"• and {len(found.notes) - SHOWN_NOTES} more")
    return "\n".join((*notes, _upstream(found, community)))


def _upstream(found: OpenReport, community: Community) -> str:
    """Where the fix is made: upstream for a bundled question, in the community's own file for its own."""
    if found.origin == "bundled":
        return (f"Bundled with Rounds: report it to the Rounds maintainers with the question id `{found.question_id}` "
                "and what the members found.")
    if found.origin == "community":
        in_file = found.question_id.removeprefix(f"{community.id}/")
        return (f"Your community's own question: fix `{in_file}` in your file and run "
                f"`rounds content import FILE --community {community.id}`.")
    return "No longer in the question bank: nothing to fix."
