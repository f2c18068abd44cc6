"""What the library looks like in a reply. The contract is text, so every platform and the console show the same
thing: the matches best first, one a line, each starting with its rank and title; then the first one's short answer
and its sources. Buttons open the others and mark the first helpful."""

from __future__ import annotations

from commands.replies import Button, Card, Field, Reply
from core.resources.model import Found, Resource, Suggestion
from core.text import quote

SHOW_ACTION, HELPFUL_ACTION, DECIDE_ACTION, SEARCH_ACTION = (
    "resource.show", "resource.helpful", "resource.decide", "resource.search")
ACCENT = "#2d9cdb"
SEARCH_BUTTON_LIMIT = 60  # a "did you mean" button carries its words in its custom id (100 characters in all)


def found_reply(found: Found, helpful: int) -> Reply:
    """`helpful` is the first hit's count of marks in this community."""
    if not found.hits:
        return _nothing(found)
    lines = [f"🔎 {_heading(found)}"]
    lines += [f"{rank}. {hit.resource.title}" for rank, hit in enumerate(found.hits, 1)]
    first = found.hits[0].resource
    lines += ["", *entry_lines(first, helpful)]
    opens = tuple(Button(f"Open {rank}", SHOW_ACTION, (hit.resource.id,))
                  for rank, hit in enumerate(found.hits[1:5], 2))
    return Reply(text="\n".join(lines), buttons=(helpful_button(first, marked=False), *opens), private=True)


def entry_reply(resource: Resource, helpful: int, marked: bool) -> Reply:
    return Reply(text="\n".join(entry_lines(resource, helpful)), buttons=(helpful_button(resource, marked),),
                 private=True)


def entry_lines(resource: Resource, helpful: int = 0) -> list[str]:
    """One entry as it is read: its title, its answer, where to check it, and the cycle a changing fact is for."""
    lines = [f"**{resource.title}**", resource.answer]
    if resource.cycle:
        lines.append(f"🗓 For {resource.cycle}. {resource.confirm or 'Confirm it on the official page.'}")
    lines += [f"🔗 {source.title}: {source.url}" for source in resource.sources]
    if resource.community_id is not None:
        lines.append("🏘 Added by this community.")
    if helpful:
        lines.append(f"👍 {helpful} found this helpful here.")
    return lines


def helpful_button(resource: Resource, marked: bool) -> Button:
    """It says what pressing it does, so a double click does the same thing twice, not undo it."""
    if marked:
        return Button("Not helpful after all", HELPFUL_ACTION, (resource.id, "no"))
    return Button("Helpful", HELPFUL_ACTION, (resource.id, "yes"), "success")


def _heading(found: Found) -> str:
    typed = f"“{quote(found.query, 60)}”"
    if found.searched:
        return f"Results for {typed} (searched for “{quote(found.searched, 80)}”):"
    return f"Results for {typed}:"


def _nothing(found: Found) -> Reply:
    text = f"🔎 Nothing in the library matches “{quote(found.query, 60)}”."
    buttons: tuple[Button, ...] = ()
    if found.did_you_mean:
        text += f" Did you mean **{found.did_you_mean}**?"
        if ":" not in found.did_you_mean and len(found.did_you_mean) <= SEARCH_BUTTON_LIMIT:
            buttons = (Button(f"Search {found.did_you_mean}", SEARCH_ACTION, (found.did_you_mean,), "primary"),)
    text += (" Try fewer or other words, like `/resource query:ECFMG certification`, or suggest a resource for this "
             "community with `/resource suggest`.")
    return Reply(text=text, buttons=buttons, private=True)


def suggested_text(suggestion: Suggestion) -> str:
    return (f"🙏 Thanks! Suggestion #{suggestion.number} (“{suggestion.title}”) is waiting for a community admin. "
            "Once approved, it shows up in this community's `/resource` search.")


def queue_reply(pending: list[Suggestion], names: dict[str, str], waiting: int | None = None) -> Reply:
    """`waiting`: how many are pending in all, when the queue shows only the oldest of them."""
    if not pending:
        return Reply(text="📭 No suggestions are waiting. Members suggest one with `/resource suggest`.", private=True)
    cards = tuple(_suggestion_card(s, names.get(s.author_id, s.author_id)) for s in pending)
    buttons = tuple(b for s in pending for b in decide_buttons(s))
    total = max(waiting or 0, len(pending))
    text = f"📬 {total} suggestion{'s' if total != 1 else ''} waiting, oldest first"
    text += f"; here are the first {len(pending)} (decide these to see more):" if total > len(pending) else ":"
    return Reply(text=text, cards=cards, buttons=buttons, private=True)


def decide_buttons(suggestion: Suggestion) -> tuple[Button, Button]:
    number = str(suggestion.number)
    return (Button(f"Approve #{number}", DECIDE_ACTION, (number, "approve"), "success"),
            Button(f"Reject #{number}", DECIDE_ACTION, (number, "reject"), "danger"))


def _suggestion_card(suggestion: Suggestion, author: str) -> Card:
    fields = [Field("Link", suggestion.url, inline=False), Field("Suggested by", author)]
    if suggestion.tags:
        fields.append(Field("Tags", ", ".join(suggestion.tags)))
    return Card(title=f"#{suggestion.number} · {suggestion.title}", body=suggestion.note, fields=tuple(fields),
                accent=ACCENT)


def decided_text(suggestion: Suggestion) -> str:
    if suggestion.status == "approved":
        return (f"✅ Approved #{suggestion.number} (“{suggestion.title}”): it now shows in this community's "
                "`/resource` search.")
    return f"🗑 Rejected #{suggestion.number} (“{suggestion.title}”). It won't show in search."
