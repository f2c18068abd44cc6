"""The USMLE content-outline vocabulary (steps, systems, disciplines, competencies) questions are tagged with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import content


@dataclass(frozen=True)
class Taxonomy:
    steps: dict[str, str]
    systems: dict[str, str]
    disciplines: dict[str, str]
    competencies: dict[str, str]

    def label(self, slug: str) -> str:
        for vocabulary in (self.steps, self.systems, self.disciplines, self.competencies):
            if slug in vocabulary:
                return vocabulary[slug]
        return slug

    def filterable(self) -> dict[str, str]:
        """Slugs a tag filter may name, with the category each belongs to."""
        kinds = {"step": self.steps, "system": self.systems, "discipline": self.disciplines}
        return {slug: kind for kind, vocab in kinds.items() for slug in vocab}


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    data = json.loads(content.taxonomy_text())
    return Taxonomy(data["steps"], data["systems"], data["disciplines"], data["competencies"])
