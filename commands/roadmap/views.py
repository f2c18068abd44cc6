"""The roadmap as a member reads it: every step in pathway order, ticked or not, what comes next with the library
entry that explains it and its cycle's dates, and a button for each step. The admin view counts members, never
names them."""

from __future__ import annotations

from datetime import date

from commands.replies import Button, Card, Reply
from commands.resources.views import SHOW_ACTION
from core.resources.model import KeyDate, Progress, Resource, Step

TICK_ACTION = "roadmap.tick"
ACCENT = "#9b51e0"
BAR = 12  # characters of the longest bar in the community view


def roadmap_reply(progress: Progress, explained: Resource | None, dates: tuple[KeyDate, ...], today: date,
                  text: str = "") -> Reply:
    """`explained` is the next step's library entry; `dates` that entry's dates, of which the ones still ahead
    show."""
    done = len(progress.done & {s.slug for s in progress.steps})
    body = [f"{'✅' if s.slug in progress.done else '⬜'} {n}. {s.title}" for n, s in enumerate(progress.steps, 1)]
    body += ["", *_next_lines(progress.next, explained, dates, today)]
    card = Card(title=f"🗺 Your roadmap · {done} of {len(progress.steps)} done", body="\n".join(body), accent=ACCENT,
                footer="Press a step to tick it off, or to take the tick back. Only you see this.")
    return Reply(text=text, cards=(card,), buttons=_buttons(progress, explained), private=True)


def _next_lines(step: Step | None, explained: Resource | None, dates: tuple[KeyDate, ...], today: date) -> list[str]:
    if step is None:
        return ["🎉 Every step is ticked off. Congratulations, doctor!"]
    lines = [f"➡️ Next: **{step.title}**"]
    if explained is not None:
        # the entry's own title is what finds it first; the step's title found another entry for 5 of the 15 steps
        lines.append(f"📖 {explained.title}: the Read button, or `/resource query:{explained.title}`")
        ahead = [d for d in dates if d.on >= today]
        if ahead:
            lines.append(f"🗓 {explained.cycle or 'This cycle'}: " + "; ".join(
                f"{d.label} {d.on:%a} {d.on.day} {d.on:%b %Y}" for d in ahead[:4]))
            lines.append(explained.confirm or "Confirm dates on the official page.")
    return lines


def _buttons(progress: Progress, explained: Resource | None) -> tuple[Button, ...]:
    """A step not done says "Done: …" and one done says "Undo: …", so a double click never takes a tick back."""
    ticks = tuple(Button(f"Undo: {s.title}", TICK_ACTION, (s.slug, "undo")) if s.slug in progress.done
                  else Button(f"Done: {s.title}", TICK_ACTION, (s.slug, "done"), "success")
                  for s in progress.steps)
    read = (Button(f"Read: {progress.next.title}", SHOW_ACTION, (explained.id,), "primary"),) \
        if progress.next is not None and explained is not None else ()
    return (*read, *ticks)


def community_reply(steps: tuple[Step, ...], counts: dict[str, int]) -> Reply:
    """How many members are at each step (their first step not ticked off), and how many have finished."""
    total = sum(counts.values())
    if not total:
        return Reply(text="🗺 No member of this community has ticked a roadmap step yet. Members start with "
                          "`/roadmap`.", private=True)
    widest = max(counts.values())
    rows = [(s.title, counts.get(s.slug, 0)) for s in steps] + [("All done", counts.get("done", 0))]
    body = "\n".join(f"{title}: {'█' * round(BAR * n / widest) or '·'} {n}" for title, n in rows)
    card = Card(title=f"🗺 Where this community stands · {total} member{'s' if total != 1 else ''}", body=body,
                footer="Each member counts at their next step. Nobody's own list is shown.", accent=ACCENT)
    return Reply(cards=(card,), private=True)
