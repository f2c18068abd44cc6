"""`/roadmap`: my checklist of the pathway from the ECFMG application to Step 3, ticked off with buttons, with what
comes next; `/roadmap community` shows an admin how many members are at each step."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from commands.context import Context
from commands.registry import Group, Option, action, command
from commands.replies import Reply
from commands.roadmap.views import TICK_ACTION, community_reply, roadmap_reply
from core.errors import UserError
from core.resources.model import Progress

GROUP = Group("roadmap", "Your checklist of the IMG pathway, and where the community stands", root_as="show")
STEP_LIMIT = 40


async def _step_names(ctx: Context, typed: str) -> list[str]:
    typed = typed.strip().lower()
    return [s.slug for s in ctx.services.roadmap.steps if typed in s.slug or typed in s.title.lower()]


@command("roadmap", "Your checklist of the IMG pathway: tick steps off and see what comes next")
async def show(ctx: Context) -> Reply:
    return await _shown(ctx, await ctx.services.roadmap.progress(ctx.community_id, ctx.member.id))


@command("roadmap tick", "Tick a roadmap step off (or take the tick back with done:no)",
         Option("step", "The step, like step1 or eras", required=True, max_length=STEP_LIMIT, suggest=_step_names),
         Option("done", "yes to tick it off, no to take the tick back", kind="boolean"))
async def tick(ctx: Context, step: str, done: bool | None = None) -> Reply:
    return await _ticked(ctx, _slug(ctx, step), True if done is None else done)


@action(TICK_ACTION, Option("step", "The step", max_length=STEP_LIMIT), Option("to", "done or undo",
                                                                               choices=("done", "undo")))
async def pressed(ctx: Context, step: str, to: str) -> Reply:
    return await _ticked(ctx, step, to == "done")


@command("roadmap community", "How many members are at each roadmap step (no names)", admin=True)
async def community(ctx: Context) -> Reply:
    roadmap = ctx.services.roadmap
    return community_reply(roadmap.steps, await roadmap.aggregate(ctx.community_id))


async def _ticked(ctx: Context, slug: str, done: bool) -> Reply:
    before = await ctx.services.roadmap.progress(ctx.community_id, ctx.member.id)
    after = await ctx.services.roadmap.tick(ctx.community_id, ctx.member.id, slug, done)
    title = next(s.title for s in after.steps if s.slug == slug)
    if (slug in before.done) == done:
        text = f"{title} was already {'ticked off' if done else 'not ticked'}."
    else:
        text = f"✅ {title}: done. Well done!" if done else f"↩️ {title}: tick taken back."
    return await _shown(ctx, after, text)


async def _shown(ctx: Context, progress: Progress, text: str = "") -> Reply:
    roadmap, step = ctx.services.roadmap, progress.next
    explained = await ctx.services.resources.entry(ctx.community_id, step.resource) if step else None
    today = ctx.services.clock.now().astimezone(ZoneInfo(await ctx.zone())).date()  # dates ahead in my day
    return roadmap_reply(progress, explained, roadmap.dates(step.slug) if step else (), today, text)


def _slug(ctx: Context, typed: str) -> str:
    """A step by its slug or by words of its title, whatever the case or spacing: `step2ck`, `Step 2 CK`, `step2`,
    `USMLE Step 1`, `personal statement`. Words that fit several steps name them."""
    wanted, steps = _squeezed(typed), ctx.services.roadmap.steps
    exact = [s for s in steps if wanted in (_squeezed(s.slug), _squeezed(s.title))]
    fits = exact or [s for s in steps if wanted and (wanted in _squeezed(s.slug) or wanted in _squeezed(s.title))]
    if len(fits) == 1:
        return fits[0].slug
    shown = typed.strip()[:40]
    if fits:
        raise UserError(f"“{shown}” fits {len(fits)} steps: {', '.join(s.slug for s in fits)}. Give one, like "
                        f"`/roadmap tick step:{fits[0].slug}`.")
    names = ", ".join(s.slug for s in steps)
    raise UserError(f"There is no roadmap step called “{shown}”. The steps are: {names}.")


def _squeezed(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())
