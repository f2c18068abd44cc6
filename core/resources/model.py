"""A library entry as Rounds keeps it, what a search found, a community's suggestion, and a roadmap step.

Bundled entries come from `content/resources/*.json` (ids like `ecfmg-certification`); a community's approved
suggestion becomes an entry of that community alone (id `c<number>`, scoped by `community_id`), searched beside the
bundled ones. Facts that change each cycle carry the cycle they were written for and a note to confirm them on the
official page, never a "last checked" date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SuggestionStatus = Literal["pending", "approved", "rejected"]


@dataclass(frozen=True)
class Source:
    title: str
    url: str  # https://…


@dataclass(frozen=True)
class KeyDate:
    """A dated milestone of one cycle ("Match Day", 2027-03-19), shown on the roadmap beside its step."""

    label: str
    on: date


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    answer: str  # a few sentences in our own words
    sources: tuple[Source, ...]
    category: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # abbreviations and other names people search with ("USCE", "LoR")
    steps: tuple[str, ...] = ()  # roadmap step slugs this entry explains
    cycle: str | None = None  # e.g. "ERAS 2027": the cycle its dates, fees or policies apply to
    confirm: str | None = None  # with a cycle: where to confirm it ("Confirm on the NRMP's Match calendar.")
    dates: tuple[KeyDate, ...] = ()
    community_id: str | None = None  # None: bundled, seen by every community
    author_id: str | None = None  # who suggested a community entry


@dataclass(frozen=True)
class Hit:
    resource: Resource
    score: float  # higher is better, comparable only within one search
    helpful: int = 0  # this community's helpful marks


@dataclass(frozen=True)
class Found:
    """A search's answer: hits best first. `searched` is what was searched when typos were corrected or
    abbreviations expanded (None: the query as typed); `did_you_mean` is offered only when nothing matched."""

    query: str
    hits: tuple[Hit, ...] = ()
    searched: str | None = None
    did_you_mean: str | None = None


@dataclass(frozen=True)
class Suggestion:
    community_id: str
    author_id: str
    title: str
    url: str
    note: str = ""
    tags: tuple[str, ...] = ()
    status: SuggestionStatus = "pending"
    number: int = 0  # per community: #1, #2…
    created_at: datetime = EPOCH
    decided_by: str | None = None
    decided_at: datetime | None = None
    resource_id: str | None = None  # the entry it became once approved


@dataclass(frozen=True)
class Step:
    """One roadmap step, in pathway order; `resource` is the library entry that explains it."""

    slug: str
    title: str
    resource: str


@dataclass(frozen=True)
class Progress:
    steps: tuple[Step, ...]
    done: frozenset[str] = field(default_factory=frozenset)

    @property
    def next(self) -> Step | None:
        """The first step in pathway order not ticked off."""
        return next((s for s in self.steps if s.slug not in self.done), None)
