"""The USMLE content-outline vocabulary (steps, systems, disciplines, competencies) questions are tagged with, the
disciplines each step allows, and the outline's target share of each system per step."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache

import content


@dataclass(frozen=True)
class Target:
    """One row of a step's outline table: a label, the system slugs it covers (the Step 1 table joins several, and
    some rows have no slug of ours) and the range of the exam it takes, in percent."""

    label: str
    systems: tuple[str, ...]
    low: float
    high: float


@dataclass(frozen=True)
class Outline:
    """A step's target proportions and where they came from; `note` says what was and was not confirmed."""

    source: str
    edition: str
    note: str
    targets: tuple[Target, ...]


@dataclass(frozen=True)
class Taxonomy:
    steps: dict[str, str]
    systems: dict[str, str]
    disciplines: dict[str, str]
    competencies: dict[str, str]
    step_disciplines: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a step missing here allows every one
    outlines: dict[str, Outline] = field(default_factory=dict)

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
    outlines = {step: _outline(body) for step, body in data.get("outline_targets", {}).items() if not step.startswith("_")}
    return Taxonomy(data["steps"], data["systems"], data["disciplines"], data["competencies"], allowed, outlines)


def _outline(body: dict[str, object]) -> Outline:
    rows = body.get("targets", [])
    assert isinstance(rows, list)
    targets = tuple(Target(row["label"], tuple(row["systems"]), float(row["range"][0]), float(row["range"][1]))
                    for row in rows)
    return Outline(str(body["source"]), str(body["edition"]), str(body.get("note", "")), targets)
