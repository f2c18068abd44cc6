"""Tag filters: which part of the bank a community draws from ('step1 cardiovascular' → Step 1 AND cardiology).

Within one category the tags widen the choice (step1 OR step2ck); across categories they narrow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.errors import UserError
from core.questions.taxonomy import Taxonomy
from core.text import closest, quote

if TYPE_CHECKING:  # the question model suggests tags too, so it imports this module
    from core.questions.model import Question

CLEAR_WORDS = {"", "all", "any", "none", "clear", "everything"}


@dataclass(frozen=True)
class TagFilter:
    slugs: frozenset[str] = frozenset()

    @classmethod
    def from_stored(cls, text: str) -> TagFilter:
        return cls(frozenset(text.split()))

    def stored(self) -> str:
        return " ".join(sorted(self.slugs))

    def matches(self, question: Question, taxonomy: Taxonomy) -> bool:
        kinds = taxonomy.filterable()
        wanted: dict[str, set[str]] = {}
        for slug in self.slugs:
            wanted.setdefault(kinds.get(slug, "?"), set()).add(slug)
        return all(question.tags & slugs for slugs in wanted.values())

    def describe(self, taxonomy: Taxonomy) -> str:
        if not self.slugs:
            return "all questions"
        return ", ".join(taxonomy.label(s) for s in sorted(self.slugs))


def parse_tag_filter(text: str, taxonomy: Taxonomy) -> TagFilter:
    """Slugs or outline names, separated by commas or spaces; 'all' clears the filter."""
    if text.strip().lower() in CLEAR_WORDS:
        return TagFilter()
    lookup = _lookup(taxonomy)
    chosen: set[str] = set()
    for token in _tokens(text, lookup):
        slug = lookup.get(_norm(token))
        if slug is None:
            close = closest(_norm(token), taxonomy.filterable())
            hint = f" Did you mean {', '.join('`' + c + '`' for c in close)}?" if close else ""
            raise UserError(f"`{quote(token)}` is not a tag I know.{hint} Tags are steps (`step1`, `step2ck`), systems (`cardiovascular`) or disciplines (`pharmacology`); `all` clears the filter.")
        chosen.add(slug)
    return TagFilter(frozenset(chosen))


def suggest_tags(prefix: str, taxonomy: Taxonomy, limit: int = 25) -> list[str]:
    """For autocomplete: the last token being typed is completed, earlier ones kept."""
    head, _, last = prefix.rpartition(" ")
    options = sorted(taxonomy.filterable())
    hits = [s for s in options if s.startswith(last.lower())] or [s for s in options if last.lower() in s]
    return [f"{head} {s}".strip() for s in hits][:limit]


def _norm(token: str) -> str:
    return re.sub(r"[\s_&,]+", "-", token.strip().lower()).strip("-")


def _lookup(taxonomy: Taxonomy) -> dict[str, str]:
    table: dict[str, str] = {}
    for slug in taxonomy.filterable():
        table[slug] = slug
        table[_norm(taxonomy.label(slug))] = slug
        table[slug.replace("-", "")] = slug
    for slug, label in taxonomy.steps.items():
        table[_norm(label)] = slug  # 'Step 1' → step-1
    return table


def _tokens(text: str, lookup: dict[str, str]) -> list[str]:
    """Comma-separated parts are tags; a part that is not one tag is split on spaces ('step1 cardiovascular')."""
    tokens: list[str] = []
    for part in (p for p in text.split(",") if p.strip()):
        tokens.extend([part.strip()] if _norm(part) in lookup else part.split())
    return tokens
