"""What a bank holds, beside what the exam holds: counts per step, system, discipline and competency, the spread of the
answer letters, how often the key is the longest option, and each step's systems against the content outline's target
ranges (taxonomy.json → outline_targets).

Only figures are computed here; `rounds content stats` prints them. The same numbers tell a writer which systems to
fill next and a reviewer whether the bank has grown a cue (a favourite letter, a key that is usually the longest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from core.questions.model import LETTERS, Question
from core.questions.taxonomy import Outline, Taxonomy


@dataclass(frozen=True)
class TargetRow:
    """One row of a step's outline table with the step's questions it covers."""

    label: str
    systems: tuple[str, ...]  # our slugs the row covers (none for a row we have no slug for)
    counts: dict[str, int]  # per slug, among this step's questions
    share: float  # of this step's questions
    low: float  # the outline's range, in percent
    high: float

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    @property
    def verdict(self) -> str:
        percent = 100 * self.share
        return "below" if percent < self.low else "above" if percent > self.high else "within"


@dataclass(frozen=True)
class StepOutline:
    step: str
    total: int
    outline: Outline
    rows: tuple[TargetRow, ...]
    untargeted: dict[str, int]  # systems of this step's questions that no row of the table covers


@dataclass(frozen=True)
class BankStats:
    total: int
    steps: dict[str, int]
    systems: dict[str, int]
    disciplines: dict[str, int]  # questions carrying each discipline (a question may carry up to 3)
    competencies: dict[str, int]
    letters: dict[str, int]
    longest_is_key: int
    outlines: tuple[StepOutline, ...]

    @property
    def longest_share(self) -> float:
        return self.longest_is_key / self.total if self.total else 0.0


def key_is_longest(question: Question) -> bool:
    """The key is the longest option (on a tie, the first of the longest in A–E order, as the content check counts)."""
    return max(LETTERS, key=lambda letter: len(question.options[letter])) == question.answer


def compute(questions: Iterable[Question], taxonomy: Taxonomy, step: str | None = None) -> BankStats:
    """The figures for `questions`, or only for those of `step`; each vocabulary is listed in taxonomy order, with
    zero counts kept so a gap shows."""
    chosen = [q for q in questions if step is None or q.step == step]
    steps = [step] if step else [s for s in taxonomy.steps if any(q.step == s for q in chosen)]
    return BankStats(
        total=len(chosen),
        steps=_in_order(Counter(q.step for q in chosen), steps),
        systems=_in_order(Counter(q.system for q in chosen), taxonomy.systems),
        disciplines=_in_order(Counter(d for q in chosen for d in q.disciplines), _disciplines(taxonomy, steps)),
        competencies=_in_order(Counter(q.competency for q in chosen), taxonomy.competencies),
        letters=_in_order(Counter(q.answer for q in chosen), LETTERS),
        longest_is_key=sum(key_is_longest(q) for q in chosen),
        outlines=tuple(_step_outline(s, [q for q in chosen if q.step == s], taxonomy.outlines[s])
                       for s in steps if s in taxonomy.outlines),
    )


def _step_outline(step: str, questions: list[Question], outline: Outline) -> StepOutline:
    systems = Counter(q.system for q in questions)
    total = len(questions)
    rows = tuple(TargetRow(t.label, t.systems, {s: systems[s] for s in t.systems},
                           sum(systems[s] for s in t.systems) / total if total else 0.0, t.low, t.high)
                 for t in outline.targets)
    covered = {s for t in outline.targets for s in t.systems}
    return StepOutline(step, total, outline, rows, {s: n for s, n in sorted(systems.items()) if s not in covered})


def _disciplines(taxonomy: Taxonomy, steps: list[str]) -> list[str]:
    """The disciplines the chosen steps allow, so a Step 1 table does not list the clinical ones at zero."""
    allowed = {d for s in steps for d in taxonomy.allowed_disciplines(s)}
    return [d for d in taxonomy.disciplines if d in allowed]


def _in_order(counts: Counter[str], order: Iterable[str]) -> dict[str, int]:
    ordered = {slug: counts.get(slug, 0) for slug in order}
    ordered |= {slug: n for slug, n in sorted(counts.items()) if slug not in ordered}  # a slug outside the vocabulary
    return ordered
