"""The library, suggestions and helpful marks in the database: the one place their SQL lives.

Search runs on each database's own engine. SQLite: an FTS5 table (porter stemming) over four columns that bm25 weighs
title and aliases above tags above the answer; typos through an FTS5 trigram table over the vocabulary. PostgreSQL:
the weighted tsvector of the same four columns (A–D) ranked by ts_rank, served by a GIN index on that expression;
typos through pg_trgm's similarity on the vocabulary. Both get the same words (`search.terms`) and the same query
shape; the engine's rank only chooses the candidates, which `ranking` then orders alike on both, weighing each
concept by the document counts the same statement reads from the same index. An engine's syntax never reaches it from a
member (the query is built here from words of letters and digits only, quoted).

Scope: a bundled entry has community_id '', a community's own the community's id; every read names the community
and sees '' and its own, never another community's. A decision on a suggestion is one UPDATE … WHERE status =
'pending': two admins deciding at once (two processes, PostgreSQL's row lock, SQLite's single writer) leave exactly
one row changed, and the other learns who decided.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.clock import Clock, iso, parse_iso
from core.resources.model import Hit, KeyDate, Resource, Source, Suggestion
from core.resources.ranking import ALIAS_SEPARATOR, Document, document
from core.resources.search import Phrase, terms, trigrams, vocabulary
from core.storage.database import Database, Row, rows
from core.storage.schema import (
    resource_library,
    resource_marks,
    resource_suggestions,
    resource_words,
    resources,
)

_ENTRY = (resources.c.community_id, resources.c.body, resources.c.author_id)
BUNDLED = ""  # the community_id of a bundled entry
NUMBER_TRIES = 5
CANDIDATES = 15  # vocabulary words a typo's trigrams bring back for the edit-distance check
# bm25 weights per column (title, aliases, tags, answer) and ts_rank's per weight ({D, C, B, A}).
BM25 = "bm25(resource_fts, 10.0, 8.0, 3.0, 1.0)"
TS_WEIGHTS = "'{0.1, 0.3, 0.8, 1.0}'"
Concepts = tuple[tuple[Phrase, ...], ...]
_MARKS = (select(resource_marks.c.resource_id, func.count().label("n")).where(
    resource_marks.c.community_id == bindparam("community")).group_by(resource_marks.c.resource_id))
# The candidates, each row with the same `counts` beside it: how many entries in scope there are ("-1:n") and how many
# have each concept ("i:n"), the document frequencies the ranking weighs by. SQLite: an uncorrelated subquery (run
# once) of one FTS5 count per concept; PostgreSQL: windows over the rows the search reads anyway (below).
_SQLITE_SEARCH = f"""
    SELECT r.community_id, r.body, r.author_id, coalesce(m.n, 0) AS helpful,
           (SELECT group_concat(i || ':' || n, ' ') FROM ({{counts}})) AS counts
    FROM resource_fts JOIN resources r ON r.key = resource_fts.rowid
    LEFT JOIN (SELECT resource_id, count(*) AS n FROM resource_marks WHERE community_id = :community
               GROUP BY resource_id) m ON m.resource_id = r.id
    WHERE resource_fts MATCH :query AND r.community_id IN ('', :community)
    ORDER BY {BM25} LIMIT :limit"""
_POSTGRES_SEARCH = f"""
    SELECT r.community_id, r.body, r.author_id, coalesce(m.n, 0) AS helpful, concat_ws(' ', {{counts}}) AS counts
    FROM to_tsquery('english', :query) q {{concepts}} JOIN resource_fts f ON f.document @@ q
    JOIN resources r ON r.key = f.key
    LEFT JOIN (SELECT resource_id, count(*) AS n FROM resource_marks WHERE community_id = :community
               GROUP BY resource_id) m ON m.resource_id = r.id
    WHERE r.community_id IN ('', :community)
    ORDER BY ts_rank({TS_WEIGHTS}, f.document, q) DESC, r.key LIMIT :limit"""
_SQLITE_FOUND_IN = """
    SELECT {i} AS i, count(*) AS n FROM resource_fts JOIN resources r ON r.key = resource_fts.rowid
    WHERE resource_fts MATCH :query{i} AND r.community_id IN ('', :community)"""
_SQLITE_TOTAL = "SELECT -1 AS i, count(*) AS n FROM resources WHERE community_id IN ('', :community)"
# PostgreSQL counts each concept over the rows the search reads anyway (a concept's entries are among those the whole
# query matches), a window over them all before the LIMIT, rather than one more index scan and join per concept.
_POSTGRES_CONCEPT = "CROSS JOIN to_tsquery('english', :query{i}) q{i}"
_POSTGRES_FOUND_IN = "concat('{i}:', count(*) FILTER (WHERE f.document @@ q{i}) OVER ())"
_POSTGRES_TOTAL = "concat('-1:', (SELECT count(*) FROM resources WHERE community_id IN ('', :community)))"
# A word as typed, and its neighbours in the vocabulary: itself if known, and those sharing the most trigrams.
_SQLITE_NEAR = """
    SELECT :typed{i} AS typed, word FROM resource_words
    WHERE community_id IN ('', :community) AND word IN (:typed{i}, :singular{i})
    UNION ALL SELECT :typed{i}, word FROM (
        SELECT w.word FROM resource_fts_words JOIN resource_words w ON w.key = resource_fts_words.rowid
        WHERE resource_fts_words MATCH :grams{i} AND w.community_id IN ('', :community)
        ORDER BY bm25(resource_fts_words) LIMIT :limit)"""
_POSTGRES_NEAR = """
    SELECT :typed{i} AS typed, word FROM (
        SELECT word FROM resource_words WHERE community_id IN ('', :community)
        AND (word IN (:typed{i}, :singular{i}) OR {similar})
        ORDER BY word IN (:typed{i}, :singular{i}) DESC, similarity(word, :typed{i}) DESC, word LIMIT :limit) n{i}"""


@dataclass(frozen=True)
class Candidates:
    """What a search found: how many entries are in scope, in how many of them each concept is, and the entries."""

    total: int
    found_in: list[int]
    entries: list[Candidate]


@dataclass(frozen=True)
class Candidate:
    """An entry the engine found, as the ranking reads it (`doc`), decoded into a Hit only if it is shown."""

    row: Row | dict[str, Any]  # a dict from `Database.quick_read`
    doc: Document

    def hit(self, score: float) -> Hit:
        return Hit(_resource(self.row), score, int(self.row["helpful"]))


@dataclass(frozen=True)
class Decided:
    """What a decision did: `won` False when another decision had been stored first (`suggestion` is that one)."""

    won: bool
    suggestion: Suggestion


class ResourceStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    # -- the bundled library ----------------------------------------------------------------------------------------
    async def sync_bundled(self, entries: Sequence[Resource], digest: str) -> bool:
        """The bundled entries as the database's copy, unless this very library was synced already (False). Changed
        entries are rewritten, removed ones deleted, the vocabulary follows; all in one transaction, in id order (two
        processes starting together lock rows in the same order)."""
        stored = await self._db.fetchone(select(resource_library.c.digest).where(resource_library.c.name == "bundled"))
        if stored is not None and stored["digest"] == digest:
            return False
        now = iso(self._clock.now())
        values = [_row(r, BUNDLED, now) for r in sorted(entries, key=lambda r: r.id)]
        words = sorted(_words(entries))
        async with self._db.transaction() as conn:
            upsert = self._db.insert(resources)
            changed = {name: upsert.excluded[name] for name in
                       ("title", "body", "title_terms", "alias_terms", "tag_terms", "answer_terms")}
            if values:
                await conn.execute(upsert.on_conflict_do_update(
                    index_elements=[resources.c.community_id, resources.c.id], set_=changed,
                    where=resources.c.body != upsert.excluded.body), values)
            await conn.execute(delete(resources).where(resources.c.community_id == BUNDLED,
                                                       resources.c.id.not_in([v["id"] for v in values])))
            await _add_words(self._db, conn, BUNDLED, words)
            await conn.execute(delete(resource_words).where(resource_words.c.community_id == BUNDLED,
                                                            resource_words.c.word.not_in(words)))
            keep = self._db.insert(resource_library).values(name="bundled", digest=digest, loaded_at=now)
            await conn.execute(keep.on_conflict_do_update(index_elements=[resource_library.c.name],
                                                          set_={"digest": digest, "loaded_at": now}))
        return True

    # -- reading entries --------------------------------------------------------------------------------------------
    async def get(self, community_id: str, resource_id: str) -> Resource | None:
        row = await self._db.fetchone(select(*_ENTRY).where(
            _scope(community_id), resources.c.id == resource_id))
        return None if row is None else _resource(row)

    async def by_title(self, community_id: str, title: str) -> Resource | None:
        """The entry of exactly this title (else the same ignoring case), bundled before a community's own."""
        for match in (resources.c.title == title, func.lower(resources.c.title) == title.lower()):
            row = await self._db.fetchone(select(*_ENTRY).where(
                _scope(community_id), match).order_by(resources.c.community_id, resources.c.key).limit(1))
            if row is not None:
                return _resource(row)
        return None

    async def complete(self, community_id: str, prefixes: Sequence[str], limit: int) -> list[str]:
        """Titles whose title or alias words start with every prefix, most helpful first (then alphabetically)."""
        words = literal(" ") + resources.c.title_terms + literal(" ") + resources.c.alias_terms
        marks = _MARKS.subquery()
        statement = (select(resources.c.title).join(marks, marks.c.resource_id == resources.c.id, isouter=True)
                     .where(_scope(community_id), *[words.like(f"% {p}%") for p in prefixes])
                     .order_by(func.coalesce(marks.c.n, 0).desc(), resources.c.title, resources.c.key).limit(limit))
        return [r["title"] for r in await self._db.fetchall(statement, {"community": community_id})]

    @property
    def reads_inline(self) -> bool:
        """Whether searches run one statement after the other on this thread (`Database.quick_read`)."""
        return self._db.reads_inline

    @property
    def loose_differs(self) -> bool:
        """Whether `near(loose=True)` finds more than `near` (PostgreSQL's similarity threshold; FTS5 has none)."""
        return self._db.dialect == "postgresql"

    # -- search -----------------------------------------------------------------------------------------------------
    async def search(self, community_id: str, concepts: Concepts, limit: int) -> Candidates:
        """The entries matching any phrase of any concept: the engine's best `limit` (bm25, ts_rank), as the ranking
        reads them, with the document frequencies of the concepts (`core.resources.ranking` orders them alike on
        both engines); one statement."""
        phrases = [p for alternatives in concepts for p in alternatives if p]
        if not phrases:
            return Candidates(0, [0] * len(concepts), [])
        postgres = self._db.dialect == "postgresql"
        shape = _POSTGRES_FOUND_IN if postgres else _SQLITE_FOUND_IN
        params: dict[str, Any] = {"query": self._any(phrases), "community": community_id, "limit": limit}
        counts, tsqueries = [_POSTGRES_TOTAL if postgres else _SQLITE_TOTAL], []
        for i, alternatives in enumerate(concepts):
            if mine := [p for p in alternatives if p]:
                params[f"query{i}"] = self._any(mine)
                counts.append(shape.format(i=i))
                tsqueries.append(_POSTGRES_CONCEPT.format(i=i))
        joined = (", " if postgres else " UNION ALL ").join(counts)
        statement = (_POSTGRES_SEARCH if postgres else _SQLITE_SEARCH).replace("{counts}", joined)
        statement = statement.replace("{concepts}", " ".join(tsqueries))
        found = await self._db.quick_read(statement, params)
        if not found:
            return Candidates(0, [0] * len(concepts), [])
        counted = dict(pair.split(":") for pair in found[0]["counts"].split())
        return Candidates(int(counted.pop("-1", 0)), [int(counted.get(str(i), 0)) for i in range(len(concepts))],
                          [Candidate(r, _document(r["body"])) for r in found])

    def _any(self, phrases: Sequence[Phrase]) -> str:
        """The engine's query for any of the phrases, each quoted (FTS5) or adjacent (tsquery): words only."""
        if self._db.dialect == "postgresql":
            return " | ".join("(" + " <-> ".join(p) + ")" for p in phrases)
        return " OR ".join('"' + " ".join(p) + '"' for p in phrases)

    async def near(self, community_id: str, words: Sequence[str], limit: int = CANDIDATES, *,
                   loose: bool = False) -> dict[str, list[str]]:
        """For each word, the vocabulary's words near it, in one statement: the word itself (or its singular) when
        the vocabulary knows it, and the words sharing the most trigrams with it (FTS5 trigram / pg_trgm), which an
        edit distance then checks. `loose` (a "did you mean" after nothing was found): on PostgreSQL, words below
        pg_trgm's similarity threshold too, read without its index."""
        words = [w for w in dict.fromkeys(words) if len(w) >= 3]
        if not words:
            return {}
        shape = _POSTGRES_NEAR if self._db.dialect == "postgresql" else _SQLITE_NEAR
        params: dict[str, Any] = {"community": community_id, "limit": limit}
        for i, word in enumerate(words):
            params |= {f"typed{i}": word, f"singular{i}": word[:-1] if word.endswith("s") else word,
                       f"grams{i}": " OR ".join(f'"{g}"' for g in trigrams(word))}
        similar = "similarity(word, :typed{i}) > 0.1" if loose else "word % :typed{i}"
        union = " UNION ALL ".join(shape.replace("{similar}", similar).format(i=i) for i in range(len(words)))
        found = await self._db.quick_read(union, params)
        near: dict[str, list[str]] = {w: [] for w in words}
        for row in found:
            near[row["typed"]].append(row["word"])
        return near

    # -- suggestions ------------------------------------------------------------------------------------------------
    async def suggest(self, suggestion: Suggestion, cap: int | None = None) -> Suggestion | None:
        """Stored pending with the community's next number (two at once: the loser takes the next); None, and nothing
        stored, when the author already has `cap` suggestions pending in the community (counted in the same
        transaction, so presses at once overshoot by at most the ones racing)."""
        values = {"community_id": suggestion.community_id, "author_id": suggestion.author_id,
                  "title": suggestion.title, "url": suggestion.url, "note": suggestion.note,
                  "tags": " ".join(suggestion.tags), "status": "pending", "created_at": iso(suggestion.created_at)}
        for attempt in range(NUMBER_TRIES):
            number = (select(func.coalesce(func.max(resource_suggestions.c.number), 0) + 1)
                      .where(resource_suggestions.c.community_id == suggestion.community_id).scalar_subquery())
            try:
                async with self._db.transaction() as conn:
                    if cap is not None and await _pending_of(conn, suggestion) >= cap:
                        return None
                    made = await rows(conn, insert(resource_suggestions).values(number=number, **values)
                                      .returning(resource_suggestions.c.number))
            except IntegrityError:
                if attempt == NUMBER_TRIES - 1:
                    raise
                continue
            return replace(suggestion, number=made[0]["number"], status="pending")
        raise AssertionError("unreachable")

    async def suggestion(self, community_id: str, number: int) -> Suggestion | None:
        row = await self._db.fetchone(select(resource_suggestions).where(
            resource_suggestions.c.community_id == community_id, resource_suggestions.c.number == number))
        return None if row is None else _suggestion(row)

    async def pending(self, community_id: str, limit: int) -> list[Suggestion]:
        found = await self._db.fetchall(select(resource_suggestions).where(
            resource_suggestions.c.community_id == community_id, resource_suggestions.c.status == "pending")
            .order_by(resource_suggestions.c.number).limit(limit))
        return [_suggestion(r) for r in found]

    async def waiting(self, community_id: str) -> int:
        """How many suggestions of the community are pending, all of them (a queue shows the oldest few)."""
        found = await self._db.fetchone(select(func.count().label("n")).where(
            resource_suggestions.c.community_id == community_id, resource_suggestions.c.status == "pending"))
        return 0 if found is None else int(found["n"])

    async def decide(self, community_id: str, number: int, approve: bool, admin_id: str) -> Decided | None:
        """The decision stored if the suggestion is still pending, and (approved) the entry it becomes, `c<number>`,
        in the same transaction; None when there is no such suggestion."""
        now = self._clock.now()
        status = "approved" if approve else "rejected"
        resource_id = f"c{number}" if approve else None
        where = (resource_suggestions.c.community_id == community_id, resource_suggestions.c.number == number)
        async with self._db.transaction() as conn:
            written = (await conn.execute(update(resource_suggestions).where(
                *where, resource_suggestions.c.status == "pending").values(
                status=status, decided_by=admin_id, decided_at=iso(now), resource_id=resource_id))).rowcount
            found = await rows(conn, select(resource_suggestions).where(*where))
            if not found:
                return None
            decided = _suggestion(found[0])
            if written == 1 and approve:
                entry = community_entry(decided)
                await conn.execute(insert(resources), [_row(entry, community_id, iso(now))])
                await _add_words(self._db, conn, community_id, sorted(_words([entry])))
        return Decided(written == 1, decided)

    # -- helpful marks ----------------------------------------------------------------------------------------------
    async def set_mark(self, community_id: str, member_id: str, resource_id: str, marked: bool) -> tuple[bool, int]:
        """Marked or not, as asked (a double click asks the same twice, and the second changes nothing): whether it
        changed, and the community's count after, from the same transaction."""
        key = (resource_marks.c.community_id == community_id, resource_marks.c.resource_id == resource_id)
        async with self._db.transaction() as conn:
            if marked:
                new = self._db.insert(resource_marks).values(community_id=community_id, resource_id=resource_id,
                                                             member_id=member_id, marked_at=iso(self._clock.now()))
                changed = (await conn.execute(new.on_conflict_do_nothing())).rowcount == 1
            else:
                gone = delete(resource_marks).where(*key, resource_marks.c.member_id == member_id)
                changed = (await conn.execute(gone)).rowcount == 1
            count = (await rows(conn, select(func.count().label("n")).where(*key)))[0]["n"]
        return changed, int(count)

    async def helpful(self, community_id: str, resource_id: str, member_id: str) -> tuple[int, bool]:
        """The community's count of marks on the entry, and whether this member's is one of them."""
        found = await self._db.fetchall(select(resource_marks.c.member_id).where(
            resource_marks.c.community_id == community_id, resource_marks.c.resource_id == resource_id))
        return len(found), any(row["member_id"] == member_id for row in found)


async def _pending_of(conn: AsyncConnection, suggestion: Suggestion) -> int:
    found = await rows(conn, select(func.count().label("n")).where(
        resource_suggestions.c.community_id == suggestion.community_id,
        resource_suggestions.c.author_id == suggestion.author_id, resource_suggestions.c.status == "pending"))
    return int(found[0]["n"])


def community_entry(suggestion: Suggestion) -> Resource:
    """What an approved suggestion becomes: an entry of its community alone, its note the answer, its URL the source."""
    return Resource(id=f"c{suggestion.number}", title=suggestion.title, answer=suggestion.note,
                    sources=(Source(suggestion.title, suggestion.url),), category="community", tags=suggestion.tags,
                    community_id=suggestion.community_id, author_id=suggestion.author_id)


def _scope(community_id: str) -> Any:
    return resources.c.community_id.in_([BUNDLED, community_id])


def _row(entry: Resource, community_id: str, now: str) -> dict[str, Any]:
    return {"community_id": community_id, "id": entry.id, "title": entry.title, "body": entry_json(entry),
            "title_terms": " ".join(terms(entry.title)), "alias_terms": ALIAS_SEPARATOR.join(" ".join(terms(a)) for a in entry.aliases),
            "tag_terms": " ".join(terms(" ".join(entry.tags))), "answer_terms": " ".join(terms(entry.answer)),
            "author_id": entry.author_id, "added_at": now}


@lru_cache(maxsize=4096)
def _document(body: str) -> Document:
    """An entry's words as the ranking reads them, from its stored JSON: the same entry, the same document."""
    data = json.loads(body)
    return document(" ".join(terms(data["title"])), ALIAS_SEPARATOR.join(" ".join(terms(a)) for a in data["aliases"]),
                    " ".join(terms(" ".join(data["tags"]))), " ".join(terms(data["answer"])))


def _words(entries: Sequence[Resource]) -> set[str]:
    return vocabulary(text for e in entries for text in (e.title, *e.aliases, *e.tags, e.answer))


async def _add_words(db: Database, conn: AsyncConnection, community_id: str, words: Sequence[str]) -> None:
    if words:
        await conn.execute(db.insert(resource_words).on_conflict_do_nothing(),
                           [{"community_id": community_id, "word": w} for w in words])


def entry_json(entry: Resource) -> str:
    data = asdict(entry)
    data.pop("community_id")
    data.pop("author_id")  # kept in its column alone, so forgetting the author changes one column
    data["dates"] = [{"label": d.label, "on": d.on.isoformat()} for d in entry.dates]
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _resource(row: Row | dict[str, Any]) -> Resource:
    data = json.loads(row["body"])
    return Resource(
        id=data["id"], title=data["title"], answer=data["answer"],
        sources=tuple(Source(s["title"], s["url"]) for s in data["sources"]), category=data.get("category", ""),
        tags=tuple(data.get("tags", ())), aliases=tuple(data.get("aliases", ())), steps=tuple(data.get("steps", ())),
        cycle=data.get("cycle"), confirm=data.get("confirm"),
        dates=tuple(KeyDate(d["label"], date.fromisoformat(d["on"])) for d in data.get("dates", ())),
        community_id=row["community_id"] or None, author_id=row["author_id"])


def _suggestion(row: Row) -> Suggestion:
    return Suggestion(
        community_id=row["community_id"], author_id=row["author_id"], title=row["title"], url=row["url"],
        note=row["note"], tags=tuple(row["tags"].split()), status=row["status"], number=row["number"],
        created_at=parse_iso(row["created_at"]), decided_by=row["decided_by"],
        decided_at=None if row["decided_at"] is None else parse_iso(row["decided_at"]), resource_id=row["resource_id"])


