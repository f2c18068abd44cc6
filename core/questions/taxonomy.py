"""The USMLE content-outline vocabulary (steps, systems, disciplines, competencies) questions are tagged with, and the
disciplines each step allows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import content


@dataclass(frozen=True)
class Taxonomy:
    steps: dict[str, str]
    systems: dict[str, str]
    disciplines: dict[str, str]
    competencies: dict[str, str]
    step_disciplines: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a step missing here allows every one

    def label(self, slug: str) -> str:
        for vocabulary in (self.steps, self.systems, self.disciplines, self.competencies):
            if slug in vocabulary:
                return vocabulary[slug]
        return slug

    def filterable(self) -> dict[str, str]:
        """Slugs a tag filter may name, with the category each belongs to."""
        kinds = {"step": self.steps, "system": self.systems, "discipline": self.disciplines}
        return {slug: kind for kind, vocab in kinds.items() for slug in vocab}

    def allowed_disciplines(self, step: str) -> tuple[str, ...]:
        """The disciplines a question of `step` may carry: basic sciences for Step 1, clinical ones after it."""
        return self.step_disciplines.get(step, tuple(self.disciplines))


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    data = json.loads(content.taxonomy_text())
    allowed = {step: tuple(slugs) for step, slugs in data.get("step_disciplines", {}).items() if not step.startswith("_")}
    return Taxonomy(data["steps"], data["systems"], data["disciplines"], data["competencies"], allowed)
