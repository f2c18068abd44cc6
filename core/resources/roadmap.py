"""Each member's roadmap of the IMG pathway: the steps from content/resources/roadmap.json, ticked off one by one.

A tick is one row per (community, member, step), so ticking twice is one tick and unticking what was never ticked
changes nothing. An admin sees only counts: how many members are at each step (their first step not ticked) and how
many are done; never whose list is whose.
"""

from __future__ import annotations

from collections import Counter

from core.errors import UserError
from core.resources.library import Library
from core.resources.model import KeyDate, Progress, Step
from core.resources.roadmap_store import RoadmapStore

DONE = "done"


class RoadmapService:
    def __init__(self, store: RoadmapStore, library: Library) -> None:
        self.store = store
        self.steps: tuple[Step, ...] = library.steps
        self._library = library
        self._slugs = {s.slug for s in self.steps}

    async def progress(self, community_id: str, member_id: str) -> Progress:
        ticked = await self.store.ticked(community_id, member_id)
        return Progress(self.steps, frozenset(ticked & self._slugs))

    async def tick(self, community_id: str, member_id: str, slug: str, done: bool) -> Progress:
        if slug not in self._slugs:
            raise UserError(f"`{slug[:40]}` is not a step of the roadmap; the steps are "
                            f"{', '.join(s.slug for s in self.steps) or 'not loaded'}.")
        await self.store.tick(community_id, member_id, slug, done)
        return await self.progress(community_id, member_id)

    async def aggregate(self, community_id: str) -> dict[str, int]:
        """Members of this community at each step (their first step not ticked), and `done`, in pathway order;
        every step is there, at 0 when nobody is at it. A member who never ticked a step is not counted."""
        counts = Counter(self._at(ticked) for ticked in
                         (await self.store.everyone(community_id, [s.slug for s in self.steps])).values())
        return {**{s.slug: counts[s.slug] for s in self.steps}, DONE: counts[DONE]}

    def _at(self, ticked: set[str]) -> str:
        step = Progress(self.steps, frozenset(ticked)).next
        return DONE if step is None else step.slug

    def dates(self, slug: str) -> tuple[KeyDate, ...]:
        """The key dates of the step's resource for its current cycle, soonest first."""
        step = next((s for s in self.steps if s.slug == slug), None)
        resource = self._library.get(step.resource) if step else None
        return tuple(sorted(resource.dates, key=lambda d: d.on)) if resource else ()
