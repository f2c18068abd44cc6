"""Moving one community between databases, and what Rounds keeps about one member: the one place this SQL lives.

An export is JSON with a format version and no database-generated ids: a daily post is known by its local date (a
community has one post a day), and answers and reports name the post by that date. So exporting from SQLite,
importing into PostgreSQL and exporting again gives the same file, and an import never has to guess an id.

Pending duties are not exported: the target plans the next daily post itself (its sweep finds a community with a
channel and no planned post), and carrying leases and post ids of another database across would only be wrong there.

Forgetting a member keeps every post's distribution whole: each of their answers stays as a row whose member is a
tombstone ('erased:<random>', a different one for each row, so the rows cannot be linked back to one person or to
each other), with its choice and correctness (what the counts and the reveal show) and nothing else of theirs.
Their reports (their words), their review queue and their member row (name, time zone) are deleted.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, delete, insert, select, union, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.errors import UserError
from core.questions.model import LETTERS
from core.storage.database import Database, Row, rows
from core.storage.schema import (
    activity,
    answers,
    attendance,
    communities,
    daily_posts,
    members,
    question_reports,
    questions,
    resource_marks,
    resource_suggestions,
    resources,
    review_cards,
    roadmap_ticks,
    rsvps,
    sessions,
    streaks,
    tallies,
)
from core.streaks.store import count_buckets, leave_buckets

FORMAT = "rounds.community"
VERSION = 1
MEMBER_FORMAT = "rounds.member"
TOMBSTONE = "erased:"
CHUNK = 1000  # values in one IN (…) list

Kind = str  # "text" | "integer" | "flag"
Fields = tuple[tuple[str, Kind, bool], ...]  # (name, kind, may be null)


def _fields(table: Table, *skip: str, flags: Sequence[str] = (), extra: Fields = ()) -> Fields:
    """A section's fields: the table's columns (less those the file implies), typed as the table types them."""
    found = []
    for column in table.columns:
        if column.name in skip:
            continue
        kind = "flag" if column.name in flags else "integer" if column.type.python_type is int else "text"
        found.append((column.name, kind, bool(column.nullable) and not column.primary_key))
    return (*extra, *found)


POST = (("post", "text", False),)  # the post's local date: answers and reports refer to their post by it
SECTIONS: dict[str, Fields] = {
    "community": _fields(communities),
    "members": _fields(members),
    "questions": _fields(questions, "community_id"),
    "posts": _fields(daily_posts, "id", "community_id", flags=("immediate",)),
    "answers": _fields(answers, "post_id", flags=("correct",), extra=POST),
    "reports": _fields(question_reports, "id", "community_id", "post_id", extra=POST),
    "activity": _fields(activity, "id", "community_id"),
    "streaks": _fields(streaks, "community_id", flags=("nudge",)),
    "tallies": _fields(tallies, "community_id"),
}
STREAK_TABLES = {"activity": activity, "streaks": streaks, "tallies": tallies}  # a community's rows, as they are
KEYS = {"members": ("id",), "questions": ("id",), "posts": ("local_date",), "answers": ("post", "member_id"),
        "streaks": ("member_id",), "tallies": ("period", "source", "member_id")}


@dataclass(frozen=True)
class Imported:
    community_id: str
    posts: int
    answers: int
    questions: int
    reports: int
    members: int  # new member rows (a member already known to the target keeps that row)
    activity: int = 0


@dataclass(frozen=True)
class Forgotten:
    answers: int  # anonymised, still counted in their posts' distributions
    reports: int
    member: bool  # a member row was deleted
    activity: int = 0  # check-ins and other activity deleted, with their streaks and tallies
    sessions: int = 0  # RSVPs and attendance deleted, and sessions they hosted no longer linked to them
    suggestions: int = 0  # unpublished ones emptied (numbers kept); approved ones (and entries) no longer theirs
    marks: int = 0  # helpful marks deleted (the entries' counts drop by them)
    roadmap: int = 0  # roadmap ticks deleted
    reviews: int = 0  # review cards deleted (the questions in their review queue, and their schedules)

    @property
    def anything(self) -> bool:
        return bool(self.answers or self.reports or self.member or self.activity or self.sessions or self.suggestions
                    or self.marks or self.roadmap or self.reviews)


# -- export ------------------------------------------------------------------------------------------------------
async def export_community(db: Database, community_id: str) -> dict[str, Any] | None:
    """Everything stored for the community, read in one transaction; None if the database has no such community."""
    async with db.transaction() as conn:
        found = await rows(conn, select(communities).where(communities.c.id == community_id))
        if not found:
            return None
        posts = await rows(conn, select(daily_posts).where(daily_posts.c.community_id == community_id)
                           .order_by(daily_posts.c.local_date))
        own = await rows(conn, select(questions).where(questions.c.community_id == community_id).order_by(questions.c.id))
        given = await rows(conn, select(answers, daily_posts.c.local_date.label("post"))
                           .join(daily_posts, daily_posts.c.id == answers.c.post_id)
                           .where(daily_posts.c.community_id == community_id)
                           .order_by(daily_posts.c.local_date, answers.c.member_id))
        reported = await rows(conn, select(question_reports, daily_posts.c.local_date.label("post"))
                              .join(daily_posts, daily_posts.c.id == question_reports.c.post_id)
                              .where(question_reports.c.community_id == community_id)
                              .order_by(question_reports.c.reported_at, question_reports.c.id))
        kept = {name: await rows(conn, select(table).where(table.c.community_id == community_id)
                                 .order_by(*[c for c in table.primary_key.columns if c.name != "community_id"]))
                for name, table in STREAK_TABLES.items()}
        people = union(select(answers.c.member_id.label("id")).join(daily_posts, daily_posts.c.id == answers.c.post_id)
                       .where(daily_posts.c.community_id == community_id),
                       select(question_reports.c.member_id).where(question_reports.c.community_id == community_id),
                       select(streaks.c.member_id).where(streaks.c.community_id == community_id))
        known = await rows(conn, select(members).where(members.c.id.in_(select(people.subquery().c.id)))
                           .order_by(members.c.id))
    dates = {row["local_date"] for row in posts}  # a post made while this read went on is not in the file: nor its answers
    return {
        "format": FORMAT, "version": VERSION,
        "community": _out("community", found[0]),
        "members": [_out("members", row) for row in known],
        "questions": [_out("questions", row) for row in own],
        "posts": [_out("posts", row) for row in posts],
        "answers": [_out("answers", row) for row in given if row["post"] in dates],
        "reports": [_out("reports", row) for row in reported if row["post"] in dates],
        **{name: [_out(name, row) for row in found] for name, found in kept.items()},
    }


def dumps(document: Mapping[str, Any]) -> str:
    """The file's text: keys sorted and indented, so two exports of the same data are the same bytes."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _out(section: str, row: Row) -> dict[str, Any]:
    return {name: (bool(row[name]) if kind == "flag" else row[name]) for name, kind, _ in SECTIONS[section]}


# -- reading a file ----------------------------------------------------------------------------------------------
def read_export(path: Path) -> dict[str, Any]:
    """The file checked whole before anything is written: the first problem found is one precise UserError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read: {error}.") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}.") from None
    try:
        return check_export(document)
    except UserError as error:
        raise UserError(f"{path}: {error}") from None


def check_export(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise UserError("not a Rounds community export (expected a JSON object).")
    if document.get("format") != FORMAT:
        raise UserError(f"not a Rounds community export (format is {document.get('format')!r}, expected {FORMAT!r}).")
    if document.get("version") != VERSION:
        raise UserError(f"format version {document.get('version')!r} is not one this Rounds reads (it reads "
                        f"version {VERSION}).")
    unknown = sorted(set(document) - {"format", "version", *SECTIONS})
    if unknown:
        raise UserError(f"unknown field {unknown[0]!r} at the top level.")
    for section in SECTIONS:
        if section not in document:
            raise UserError(f"missing field {section!r}.")
    _check_row("community", document["community"])
    for section in SECTIONS.keys() - {"community"}:
        items = document[section]
        if not isinstance(items, list):
            raise UserError(f"{section}: expected a list.")
        for index, item in enumerate(items):
            _check_row(f"{section}[{index}]", item, section)
        _no_duplicates(section, items)
    _check_references(document)
    return document


def _check_row(where: str, item: Any, section: str | None = None) -> None:
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected an object.")
    fields = SECTIONS[section or where]
    for name, kind, nullable in fields:
        if name not in item:
            raise UserError(f"{where}: missing field {name!r}.")
        value = item[name]
        if value is None:
            if not nullable:
                raise UserError(f"{where}.{name}: must not be null.")
            continue
        expected = {"flag": bool, "integer": int, "text": str}[kind]
        if not isinstance(value, expected) or (kind == "integer" and isinstance(value, bool)):
            noun = {"flag": "true or false", "integer": "an integer", "text": "a string"}[kind]
            raise UserError(f"{where}.{name}: expected {noun}, got {json.dumps(value)}.")
    unknown = sorted(set(item) - {name for name, _, _ in fields})
    if unknown:
        raise UserError(f"{where}: unknown field {unknown[0]!r}.")


def _no_duplicates(section: str, items: list[dict[str, Any]]) -> None:
    key = KEYS.get(section)
    seen: dict[tuple[Any, ...], int] = {}
    for index, item in enumerate(items):
        value: tuple[Any, ...]
        if section == "activity":  # an activity about something (a post) is there once
            if item["ref"] is None:
                continue
            value = (item["member_id"], item["source"], item["ref"])
            what = f"a second {item['source']} activity of {item['member_id']} for {item['ref']!r}"
        elif key is None:  # reports: at most one open report per member and question
            if item["resolved_at"] is not None:
                continue
            value = (item["question_id"], item["member_id"])
            what = f"a second open report by {item['member_id']} on question {item['question_id']!r}"
        else:
            value = tuple(item[name] for name in key)
            what = f"duplicate {' and '.join(key)} {', '.join(map(repr, value))}"
        if value in seen:
            raise UserError(f"{section}[{index}]: {what} (also {section}[{seen[value]}]).")
        seen[value] = index


def _check_references(document: dict[str, Any]) -> None:
    community = document["community"]
    if not community["id"].strip():
        raise UserError("community.id: must not be empty.")
    if community["reveal_delay_minutes"] < 0:
        raise UserError("community.reveal_delay_minutes: must not be negative.")
    dates = {post["local_date"] for post in document["posts"]}
    for section in ("answers", "reports"):
        for index, item in enumerate(document[section]):
            if item["post"] not in dates:
                raise UserError(f"{section}[{index}].post: {item['post']!r} is not the local_date of any of the "
                                "file's posts.")
    for index, answer in enumerate(document["answers"]):
        if answer["choice"] not in LETTERS:
            raise UserError(f"answers[{index}].choice: {answer['choice']!r} is not one of {', '.join(LETTERS)}.")


# -- import ------------------------------------------------------------------------------------------------------
async def import_community(db: Database, document: Mapping[str, Any]) -> Imported:
    """All in one transaction: a refusal (the community is already there, a question id taken, a post's question
    missing from both the file and this database) raises a UserError and writes nothing."""
    community = dict(document["community"])
    cid = community["id"]
    own = {q["id"] for q in document["questions"]}
    async with db.transaction() as conn:
        created = await rows(conn, db.insert(communities).values(community).on_conflict_do_nothing()
                             .returning(communities.c.id))
        if not created:
            raise UserError(f"{cid} already exists in the database at {db.path}: nothing was imported. Rounds never "
                            "merges into or overwrites a community; import into a database that does not have it.")
        await _refuse_taken_questions(conn, document["questions"])
        await _refuse_missing_questions(conn, document["posts"], own)
        new_members = 0
        if document["members"]:
            wanted = [m["id"] for m in document["members"]]
            new_members = len(wanted) - len(await _present(conn, members.c.id, wanted))
            await conn.execute(db.insert(members).on_conflict_do_nothing(), document["members"])
        if document["questions"]:
            await conn.execute(insert(questions), [{**q, "community_id": cid} for q in document["questions"]])
        ids: dict[str, int] = {}
        if document["posts"]:
            made = await conn.execute(insert(daily_posts).returning(daily_posts.c.id, daily_posts.c.local_date),
                                      [{**_in("posts", p), "community_id": cid} for p in document["posts"]])
            ids = {row.local_date: row.id for row in made}
        if document["answers"]:
            await conn.execute(insert(answers), [{**_in("answers", a), "post_id": ids[a["post"]]}
                                                 for a in document["answers"]])
        if document["reports"]:
            await conn.execute(insert(question_reports), [{**_in("reports", r), "post_id": ids[r["post"]],
                                                           "community_id": cid} for r in document["reports"]])
        for name, table in STREAK_TABLES.items():
            if document[name]:
                await conn.execute(insert(table), [{**_in(name, item), "community_id": cid} for item in document[name]])
        await count_buckets(conn, cid)  # the members per value of its boards, as record() would have kept them
    return Imported(cid, len(document["posts"]), len(document["answers"]), len(document["questions"]),
                    len(document["reports"]), new_members, len(document["activity"]))


def _in(section: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """A file row as the table stores it: flags as 0/1, the post's date left for the caller to turn into its id."""
    return {name: (int(item[name]) if kind == "flag" else item[name])
            for name, kind, _ in SECTIONS[section] if name != "post"}


async def _refuse_taken_questions(conn: AsyncConnection, own: list[dict[str, Any]]) -> None:
    if not own:
        return
    ids = [q["id"] for q in own]
    taken = await _present(conn, questions.c.id, ids, questions.c.community_id)
    for index, question_id in enumerate(ids):
        if question_id in taken:
            owner = f"community {taken[question_id]}" if taken[question_id] else "the bundled bank"
            raise UserError(f"questions[{index}]: question {question_id!r} already exists in this database (it belongs "
                            f"to {owner}): nothing was imported.")


async def _refuse_missing_questions(conn: AsyncConnection, posts: list[dict[str, Any]], own: set[str]) -> None:
    wanted = sorted({p["question_id"] for p in posts} - own)
    if not wanted:
        return
    present = await _present(conn, questions.c.id, wanted)
    for index, post in enumerate(posts):
        if post["question_id"] not in own and post["question_id"] not in present:
            raise UserError(f"posts[{index}].question_id: {post['question_id']!r} is neither among the file's questions "
                            "nor in this database's question bank (a newer Rounds' bundled question?): nothing was "
                            "imported.")


async def _present(conn: AsyncConnection, key: ColumnElement[Any], values: Sequence[Any],
                   also: ColumnElement[Any] | None = None) -> dict[Any, Any]:
    """Which of the values the key column holds (with `also`'s value for each), asked a chunk at a time: a
    community's thousands of members stay under the drivers' limit on bound parameters."""
    found: dict[Any, Any] = {}
    for start in range(0, len(values), CHUNK):
        query = select(key, key if also is None else also).where(key.in_(values[start:start + CHUNK]))
        found.update((row[0], row[1]) for row in (await conn.execute(query)).all())
    return found


# -- one member --------------------------------------------------------------------------------------------------
async def member_data(db: Database, member_id: str) -> dict[str, Any]:
    """Everything Rounds keeps that names the member: their member row, answers and reports, in every community.
    Read outside a write transaction: a member asking must never hold up everyone's answers."""
    found = await db.fetchall(select(members).where(members.c.id == member_id))
    given = await db.fetchall(
        select(daily_posts.c.community_id.label("community"), daily_posts.c.local_date.label("post"),
               daily_posts.c.question_id, answers.c.choice, answers.c.correct, answers.c.answered_at, answers.c.changed_at)
        .join(daily_posts, daily_posts.c.id == answers.c.post_id).where(answers.c.member_id == member_id)
        .order_by(daily_posts.c.local_date.desc(), daily_posts.c.community_id))
    reported = await db.fetchall(
        select(question_reports.c.community_id.label("community"), question_reports.c.question_id,
               question_reports.c.note, question_reports.c.reported_at, question_reports.c.resolved_at)
        .where(question_reports.c.member_id == member_id).order_by(question_reports.c.reported_at.desc()))
    done = await db.fetchall(select(activity).where(activity.c.member_id == member_id)
                             .order_by(activity.c.at.desc(), activity.c.id.desc()))
    held = await db.fetchall(select(streaks).where(streaks.c.member_id == member_id).order_by(streaks.c.community_id))
    hosted = await db.fetchall(select(sessions.c.community_id.label("community"), sessions.c.number, sessions.c.topic,
                                      sessions.c.starts_at, sessions.c.created_at)
                               .where(sessions.c.author_id == member_id).order_by(sessions.c.created_at))
    answered = await db.fetchall(select(sessions.c.community_id.label("community"), sessions.c.number, rsvps.c.status,
                                        rsvps.c.answered_at).join(sessions, sessions.c.id == rsvps.c.session_id)
                                 .where(rsvps.c.member_id == member_id).order_by(rsvps.c.answered_at))
    attended = await db.fetchall(select(sessions.c.community_id.label("community"), sessions.c.number,
                                        attendance.c.occurrence, attendance.c.at)
                                 .join(sessions, sessions.c.id == attendance.c.session_id)
                                 .where(attendance.c.member_id == member_id).order_by(attendance.c.at))
    suggested = await db.fetchall(
        select(resource_suggestions.c.community_id.label("community"), resource_suggestions.c.number,
               resource_suggestions.c.title, resource_suggestions.c.url, resource_suggestions.c.note,
               resource_suggestions.c.tags, resource_suggestions.c.status, resource_suggestions.c.created_at,
               resource_suggestions.c.decided_at, resource_suggestions.c.resource_id)
        .where(resource_suggestions.c.author_id == member_id).order_by(resource_suggestions.c.created_at))
    decided = await db.fetchall(
        select(resource_suggestions.c.community_id.label("community"), resource_suggestions.c.number,
               resource_suggestions.c.status, resource_suggestions.c.decided_at)
        .where(resource_suggestions.c.decided_by == member_id).order_by(resource_suggestions.c.decided_at))
    marked = await db.fetchall(
        select(resource_marks.c.community_id.label("community"), resource_marks.c.resource_id, resource_marks.c.marked_at)
        .where(resource_marks.c.member_id == member_id).order_by(resource_marks.c.marked_at))
    ticked = await db.fetchall(
        select(roadmap_ticks.c.community_id.label("community"), roadmap_ticks.c.step, roadmap_ticks.c.ticked_at)
        .where(roadmap_ticks.c.member_id == member_id).order_by(roadmap_ticks.c.ticked_at, roadmap_ticks.c.step))
    queued = await db.fetchall(
        select(review_cards.c.community_id.label("community"), review_cards.c.question_id, review_cards.c.origin,
               review_cards.c.added_at, review_cards.c.due_at, review_cards.c.last_review_at, review_cards.c.reviews,
               review_cards.c.lapses, review_cards.c.stability, review_cards.c.difficulty)
        .where(review_cards.c.member_id == member_id).order_by(review_cards.c.due_at, review_cards.c.id))
    return {
        "format": MEMBER_FORMAT, "version": VERSION,
        "member": _out("members", found[0]) if found else None,
        "answers": [{**row, "correct": bool(row["correct"])} for row in given],
        "reports": [dict(row) for row in reported],
        "activity": [{"community": row["community_id"], **_out("activity", row)} for row in done],
        "streaks": [{"community": row["community_id"], **_out("streaks", row)} for row in held],
        "sessions_hosted": [dict(row) for row in hosted],
        "session_answers": [dict(row) for row in answered],
        "attendance": [dict(row) for row in attended],
        "resource_suggestions": [dict(row) for row in suggested],
        "resource_decisions": [dict(row) for row in decided],
        "helpful_marks": [dict(row) for row in marked],
        "roadmap": [dict(row) for row in ticked],
        "review_cards": [dict(row) for row in queued],
    }


async def forget_member(db: Database, member_id: str) -> Forgotten:
    """Erase the member in one transaction; forgetting someone already forgotten changes nothing and says so."""
    async with db.transaction() as conn:
        keys = [row["post_id"] for row in await rows(conn, select(answers.c.post_id).where(answers.c.member_id == member_id))]
        if keys:
            await conn.execute(
                update(answers).where(answers.c.post_id == bindparam("old_post"), answers.c.member_id == member_id)
                .values(member_id=bindparam("tombstone"), change_until=None, changed_at=None),
                [{"old_post": key, "tombstone": tombstone()} for key in keys])
        reports = (await conn.execute(delete(question_reports).where(question_reports.c.member_id == member_id))).rowcount
        done = (await conn.execute(delete(activity).where(activity.c.member_id == member_id))).rowcount
        await leave_buckets(db, conn, member_id)
        for table in (streaks, tallies):
            await conn.execute(delete(table).where(table.c.member_id == member_id))
        member = (await conn.execute(delete(members).where(members.c.id == member_id))).rowcount
        seen = sum([(await conn.execute(delete(table).where(table.c.member_id == member_id))).rowcount
                    for table in (rsvps, attendance)])
        hosted = (await conn.execute(update(sessions).where(sessions.c.author_id == member_id)
                                     .values(author_id=tombstone()))).rowcount
        suggested, marks, ticks = await _forget_resources(conn, member_id)
        queued = (await conn.execute(delete(review_cards).where(review_cards.c.member_id == member_id))).rowcount
    return Forgotten(len(keys), reports, member > 0, done, seen + hosted, suggested, marks, ticks, queued)


async def _forget_resources(conn: AsyncConnection, member_id: str) -> tuple[int, int, int]:
    """Their pending and rejected suggestions (their words, never published) emptied and closed, each row kept with
    its number: deleted, the number went to the next suggestion, which an admin's old Approve button then approved
    unseen. Approved ones, and the entries they became (the community's now), kept with a tombstone where their id
    was, as author or as the admin who decided; their helpful marks and roadmap ticks deleted."""
    pending = (await conn.execute(update(resource_suggestions).where(
        resource_suggestions.c.author_id == member_id, resource_suggestions.c.status != "approved")
        .values(title="", url="", note="", tags="", status="rejected", author_id=tombstone()))).rowcount
    decided = (await conn.execute(update(resource_suggestions).where(resource_suggestions.c.author_id == member_id)
                                  .values(author_id=tombstone()))).rowcount
    await conn.execute(update(resource_suggestions).where(resource_suggestions.c.decided_by == member_id)
                       .values(decided_by=tombstone()))
    await conn.execute(update(resources).where(resources.c.author_id == member_id).values(author_id=tombstone()))
    marks = (await conn.execute(delete(resource_marks).where(resource_marks.c.member_id == member_id))).rowcount
    ticks = (await conn.execute(delete(roadmap_ticks).where(roadmap_ticks.c.member_id == member_id))).rowcount
    return pending + decided, marks, ticks


def tombstone() -> str:
    """A member id that names nobody: random, so two erased answers cannot be told to be one person's."""
    return f"{TOMBSTONE}{secrets.token_hex(8)}"
