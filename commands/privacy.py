"""`/privacy …`: a member sees what Rounds keeps about them, and erases it.

Erasing cannot be undone, so `/privacy delete` only shows a button; the button carries a digest of who asked and when,
so it erases only its own member's data, and only for a few minutes: pressed by anyone else, pressed again, or found
in an old message, it does nothing harmful.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from commands.context import Context
from commands.registry import Group, Option, action, command
from commands.replies import Button, Card, Reply, notice
from core.storage.transfer import Forgotten, forget_member, member_data

GROUP = Group("privacy", "See or erase what Rounds keeps about you")
ERASE_ACTION = "privacy.erase"
CONFIRM_SECONDS = 600  # how long an "Erase my data" button works after /privacy delete showed it
BODY_BUDGET = 2900  # characters of JSON a card shows: one Slack section (3,000); a Discord description takes 4,096
LONG = ("answers", "review_cards")  # the lists that grow with use: cut to their first n when the JSON is too long
ACCENT = "#eb5757"


@command("privacy export", "Show everything Rounds keeps about you (answers, reports, settings, review queue…)")
async def export(ctx: Context) -> Reply:
    data = await member_data(ctx.services.db, ctx.member.id)
    if not any(v for k, v in data.items() if k not in ("format", "version")):  # only roadmap ticks are data too
        return notice("Rounds keeps nothing about you: no answers, no reports, no settings.")
    body, shown = fitted(data)
    total = len(data["answers"])
    text = "Everything Rounds keeps about you, as JSON. Only you can see this."
    if shown < total:
        text += (f" It shows your {shown} most recent answers of {total}; the older ones are kept the same way, "
                 "and `/privacy delete` erases them all.")
    queued = len(data.get("review_cards", []))
    if shown < queued:
        text += f" Of your {queued} review cards it shows the {shown} due soonest; `/privacy delete` erases them all."
    card = Card(title="Your data in Rounds", body=body,
                footer="To erase it: /privacy delete", accent=ACCENT)
    return Reply(text=text, cards=(card,), private=True)


@command("privacy delete", "Erase what Rounds keeps about you (asks you to confirm first)")
async def delete(ctx: Context) -> Reply:
    issued = int(ctx.services.clock.now().timestamp())
    button = Button("Erase my data", ERASE_ACTION, (digest(ctx.member.id), str(issued)), "danger")
    return Reply(text=("This erases your answers, reports and settings in every community Rounds serves you in, and "
                       "cannot be undone. Each post keeps its answer counts, with your answers no longer linked to you. "
                       f"Press **Erase my data** within {CONFIRM_SECONDS // 60} minutes to confirm."),
                 buttons=(button,), private=True)


@action(ERASE_ACTION, Option("who", "whose data the button erases", max_length=16),
        Option("issued", "when /privacy delete showed it (Unix seconds)", kind="integer", min_value=0, max_value=2**53))
async def erase(ctx: Context, who: str, issued: int) -> Reply:
    if who != digest(ctx.member.id):
        return notice("That button erases someone else's data, so it did nothing. To erase yours: `/privacy delete`.")
    if not 0 <= ctx.services.clock.now().timestamp() - issued <= CONFIRM_SECONDS:
        return notice("That confirmation has expired, so nothing was erased. Run `/privacy delete` again to erase your data.")
    return erased_reply(await forget_member(ctx.services.db, ctx.member.id))


def erased_reply(done: Forgotten) -> Reply:
    if not done.anything:
        return notice("Rounds keeps nothing about you any more: there was nothing left to erase.")
    kinds = [(done.reports, "report"), (done.activity, "activity record"), (done.sessions, "study-session record"),
             (done.suggestions, "resource suggestion"), (done.marks, "helpful mark"), (done.roadmap, "roadmap tick"),
             (done.reviews, "review card")]
    deleted = [_count(n, noun) for n, noun in kinds if n]  # only what there was: a list of zeros reads as a form
    listed = f"{', '.join(deleted[:-1])} and {deleted[-1]}" if len(deleted) > 1 else "".join(deleted)
    return notice(f"Erased. {_count(done.answers, 'answer')} no longer linked to you (the posts keep their counts), "
                  + (f"{listed} deleted with your streaks, " if listed else "your streaks deleted, ")
                  + "and your name and settings are gone.")


def digest(member_id: str) -> str:
    """A short, fixed-length stand-in for the member id (which may hold ':' and would not fit a custom id)."""
    return hashlib.sha256(member_id.encode()).hexdigest()[:16]


def fitted(data: dict[str, Any]) -> tuple[str, int]:
    """The JSON within the card's budget: the first n of each long list that fit (answers come newest first,
    review cards soonest due first), and that n."""
    low, high = 0, max(len(data.get(key, [])) for key in LONG)
    while low < high:  # the most items whose JSON fits
        middle = (low + high + 1) // 2
        if len(_json(data, middle)) <= BODY_BUDGET:
            low = middle
        else:
            high = middle - 1
    return _json(data, low), low


def _json(data: dict[str, Any], first: int) -> str:
    shown = dict(data)
    for key in LONG:
        items = data.get(key, [])
        if first < len(items):
            shown[key], shown[f"{key}_not_shown"] = items[:first], len(items) - first
    return json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=False)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
