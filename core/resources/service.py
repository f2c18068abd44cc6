"""The resource library as the commands use it: search, autocomplete, one entry, suggestions and helpful marks.

A search is two statements: which of the query's words the vocabulary knows and the trigram neighbours of those it
does not (a typo), then one full-text query for candidates with how many entries have each of its concepts. On SQLite
they run one after the other on the event loop's thread, the query corrected before it is searched; on PostgreSQL they
are asked for at once, and a query with a typo is searched again. The engine finds; `ranking` orders, the same way on both databases; this module then lifts hits that
members of this community marked helpful, by a bounded factor (at most +HELPFUL_CAP×HELPFUL_STEP), so a few marks can
reorder close hits but never bury the entry that is plainly the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import replace

from core.clock import Clock
from core.community.members import Member
from core.errors import UserError
from core.resources import ranking
from core.resources.library import Library
from core.resources.model import Found, Hit, Resource, Suggestion
from core.resources.rules import PENDING_LIMIT, check_suggestion
from core.resources.search import (
    Concept,
    Query,
    allowed_distance,
    closest_words,
    expansions,
    parse,
    terms,
)
from core.resources.store import Candidates, ResourceStore, entry_json
from core.text import clip, quote

HELPFUL_STEP = 0.06  # each mark lifts a hit's score by 6 %…
HELPFUL_CAP = 5  # …for the first five marks: at most +30 %
RERANKED = 4  # candidates fetched per hit asked for, so a lifted hit from a little lower can climb in…
CANDIDATES = 40  # …and never fewer: the engine's own order (ts_rank's above all) may put the answer well down
TITLE_LIMIT = 100  # an autocomplete choice (Discord's limit)


class ResourceService:
    def __init__(self, store: ResourceStore, library: Library, clock: Clock) -> None:
        self.store = store
        self.library = library
        self._clock = clock
        self._expansions = expansions(library.synonyms, (a for r in library.resources for a in r.aliases))

    async def load(self) -> None:
        """Sync the bundled entries into the database; idempotent, and a no-op for a library synced already."""
        entries = self.library.resources
        digest = hashlib.sha256(json.dumps([entry_json(r) for r in entries]).encode()).hexdigest()
        await self.store.sync_bundled(entries, digest)

    # -- search -----------------------------------------------------------------------------------------------------
    async def search(self, community_id: str, query: str, limit: int = 5) -> Found:
        """Ranked hits; the query as typed (with its concepts' document frequencies) and its neighbours in the
        vocabulary are asked for at once, and only a query with a typo asks again, corrected. The engine's best
        CANDIDATES are ordered by `ranking` (the same on both engines), then lifted by helpful marks."""
        parsed = parse(query, self._expansions)
        if not parsed.concepts:
            return Found(parsed.typed)
        parsed, candidates, near = await self._candidates(community_id, parsed, max(limit * RERANKED, CANDIDATES))
        hits = _ranked(parsed, candidates, limit)
        found = Found(parsed.typed, tuple(hits), searched=parsed.shown() if parsed.changed else None)
        if not hits:
            found = replace(found, did_you_mean=await self._did_you_mean(community_id, parsed, near))
        return found

    async def _candidates(self, community_id: str, parsed: Query, wanted: int) -> tuple[Query, Candidates,
                                                                                      dict[str, list[str]]]:
        """The query corrected for typos, the engine's candidates for it, and its words' neighbours. Where the store
        reads on this very thread (SQLite), the neighbours come first and the search runs once, corrected; over a
        socket (PostgreSQL) both are asked for at once, and only a query with a typo asks again."""
        words = [w for c in parsed.concepts if (w := c.word) is not None]
        if self.store.reads_inline:
            near = await self.store.near(community_id, words)
            parsed = parsed.corrected(_corrections(near, loose=False))
            return parsed, await self.store.search(community_id, parsed.phrases(), wanted), near
        candidates, near = await asyncio.gather(self.store.search(community_id, parsed.phrases(), wanted),
                                                self.store.near(community_id, words))
        if corrections := _corrections(near, loose=False):
            parsed = parsed.corrected(corrections)
            candidates = await self.store.search(community_id, parsed.phrases(), wanted)
        return parsed, candidates, near

    async def _did_you_mean(self, community_id: str, parsed: Query, near: dict[str, list[str]]) -> str | None:
        """A query that would find something: the words corrected one edit more loosely than a search corrects them
        (None when no word is near anything the library says)."""
        if self.store.loose_differs:
            near = await self.store.near(community_id, list(near), loose=True)
        loose = _corrections(near, loose=True)
        if not loose:
            return None
        words = [_meant(c, loose, near) for c in parsed.concepts]
        return " ".join(w for w in words if w) or None

    async def complete(self, community_id: str, typed: str, limit: int = 25) -> list[str]:
        """Titles whose words start with what was typed so far; nothing typed: the most helpful first."""
        prefixes = terms(typed if isinstance(typed, str) else "")[:8]
        titles = await self.store.complete(community_id, [p[:40] for p in prefixes], max(0, min(limit, 100)))
        return [clip(t, TITLE_LIMIT) for t in titles]

    async def entry(self, community_id: str, key: str) -> Resource:
        """By id, or by exact title (what autocomplete gave back)."""
        key = (key or "").strip()
        found = await self.store.get(community_id, key) if key else None
        if found is None and key:
            found = await self.store.by_title(community_id, key)
        if found is None:
            raise UserError(f"No entry called `{quote(key)}` in this community's library. Search for it with a few "
                            "words, like `ECFMG certification`.")
        return found

    # -- suggestions ------------------------------------------------------------------------------------------------
    async def suggest(self, community_id: str, author: Member, title: str, url: str, note: str = "",
                      tags: tuple[str, ...] = ()) -> Suggestion:
        draft = check_suggestion(title, url, note, tags)
        stored = await self.store.suggest(Suggestion(community_id, author.id, draft.title, draft.url, draft.note,
                                                     draft.tags, created_at=self._clock.now()), cap=PENDING_LIMIT)
        if stored is None:
            raise UserError(f"You already have {PENDING_LIMIT} suggestions waiting for an admin here; suggest another "
                            "once one of them is approved or rejected.")
        return stored

    async def pending(self, community_id: str, limit: int = 10) -> list[Suggestion]:
        return await self.store.pending(community_id, max(1, limit))

    async def waiting(self, community_id: str) -> int:
        return await self.store.waiting(community_id)

    async def decide(self, community_id: str, number: int, approve: bool, admin_id: str) -> Suggestion:
        """Approve (it becomes this community's entry `c<number>`) or reject; once only, whoever asks first."""
        decided = await self.store.decide(community_id, number, approve, admin_id)
        if decided is None:
            raise UserError(f"There is no suggestion #{number} in this community; the queue shows the numbers of the "
                            "pending ones.")
        if not decided.won:
            s = decided.suggestion
            if not s.title:  # emptied when its author was forgotten
                raise UserError(f"Suggestion #{number} was withdrawn; nothing changed.")
            raise UserError(f"Suggestion #{number} was already {s.status} by {mention(s.decided_by)}; nothing changed.")
        return decided.suggestion

    # -- helpful marks ----------------------------------------------------------------------------------------------
    async def mark_helpful(self, community_id: str, member_id: str, resource_id: str,
                           marked: bool = True) -> tuple[bool, int]:
        """Mark the entry helpful (or take the mark back): whether that changed anything, and this community's count."""
        await self.entry(community_id, resource_id)  # an unknown id, or another community's, is refused
        return await self.store.set_mark(community_id, member_id, resource_id, marked)

    async def helpful(self, community_id: str, member_id: str, resource_id: str) -> tuple[int, bool]:
        """This community's count of marks on the entry, and whether the member's is one."""
        return await self.store.helpful(community_id, resource_id, member_id)


def _meant(concept: Concept, loose: dict[str, tuple[str, ...]], near: dict[str, list[str]]) -> str | None:
    """A concept as "did you mean" says it: corrected, as typed when the library knows it, or left out when it is
    a word nothing in the library is near ("zzqxv blorf" offered "zzqxv block", which finds nothing either)."""
    if concept.typed in loose:
        return loose[concept.typed][0]
    word = concept.word
    if word is not None and word in near and not _known(word, near[word]):
        return None
    return concept.typed


def _known(word: str, candidates: list[str]) -> bool:
    return word in candidates or (word.endswith("s") and word[:-1] in candidates)


def _corrections(near: dict[str, list[str]], *, loose: bool) -> dict[str, tuple[str, ...]]:
    """Each word the vocabulary does not know (nor its singular), mapped to the known words within its edit distance
    (two at most); `loose`: one edit further, for "did you mean"."""
    found: dict[str, tuple[str, ...]] = {}
    for word, candidates in near.items():
        if _known(word, candidates):
            continue
        limit = allowed_distance(word) + 1 if loose else allowed_distance(word)
        close = closest_words(word, candidates, limit) if limit else ()
        if close:
            found[word] = close
    return found


def _ranked(parsed: Query, candidates: Candidates, limit: int) -> list[Hit]:
    """The best `limit` candidates, best first: `ranking.score` with each concept weighed by its rarity, lifted by
    helpful marks; the engine's order breaks ties. Only those shown are decoded into hits."""
    concepts = ranking.concept_phrases(parsed.phrases())
    weights = [ranking.idf(n, candidates.total) if n else 0.0 for n in candidates.found_in]
    scored = [(ranking.score(c.doc, concepts, weights) * _lift(int(c.row["helpful"])), i, c)
              for i, c in enumerate(candidates.entries)]
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [c.hit(score) for score, _, c in scored[:limit]]


def _lift(helpful: int) -> float:
    """The factor this community's helpful marks lift a hit's score by, bounded."""
    return 1 + HELPFUL_STEP * min(helpful, HELPFUL_CAP)


def mention(member_id: str | None) -> str:
    """A member in our neutral markup (`<@raw id>`), which each adapter shows as that platform's mention."""
    return f"<@{member_id.split(':', 1)[-1]}>" if member_id else "someone"
