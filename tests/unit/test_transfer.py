"""Moving a community between SQLite and PostgreSQL (export, import, export again: the same file), refusing a bad
file precisely with nothing written, and forgetting a member while every post keeps its counts."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from core.clock import FrozenClock
from core.errors import UserError
from core.storage.database import Database
from core.storage.schema import answers, communities, daily_posts, members, question_reports, questions
from core.storage.transfer import (
    FORMAT,
    check_export,
    dumps,
    export_community,
    forget_member,
    import_community,
    member_data,
    read_export,
)
from core.streaks.store import Activity, StreakStore

CID = "discord:111"
BUNDLED = "bundled-001"


@pytest.fixture
async def db(database: str) -> AsyncIterator[Database]:
    """This test's database (SQLite, then PostgreSQL), open, with the bundled question a post shows."""
    opened = await Database(database).open()
    await bank(opened)
    yield opened
    await opened.close()


async def bank(db: Database) -> None:
    """What the bundled bank puts in every database at start (the question a post of the community showed)."""
    await db.execute(insert(questions), {"id": BUNDLED, "community_id": None, "step": "step1", "system": "renal",
                                         "disciplines": "physiology", "competency": "mechanisms", "body": "{}",
                                         "imported_at": "2026-11-01T00:00:00.000000+00:00"})


def at(day: int, hour: int = 9) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00.000000+00:00"


async def seed(db: Database, cid: str = CID) -> dict[str, int]:
    """A community with three posts (one of a bundled question), answers, its own questions (one retired) and
    reports (one open, one resolved); returns post ids by local date."""
    await db.execute(insert(communities), {"id": cid, "name": "IMG Study", "channel_id": "42", "post_time": "07:30",
                                           "timezone": "Asia/Karachi", "reveal_delay_minutes": 60,
                                           "tag_filter": "step1", "admin_role": None, "created_at": at(1),
                                           "ping_role": "77"})
    await db.execute(db.insert(members).on_conflict_do_nothing(), [
        {"id": "discord:1", "display_name": "Ayesha", "timezone": "Asia/Karachi", "created_at": at(2)},
        {"id": "discord:2", "display_name": "Bilal", "timezone": None, "created_at": at(2)},
        {"id": "discord:3", "display_name": "Chen (answers elsewhere)", "timezone": None, "created_at": at(2)}])
    own = [{"id": f"{cid}/q{n}", "community_id": cid, "step": "step1", "system": "cardiovascular",
            "disciplines": "pathology physiology", "competency": "diagnosis", "body": json.dumps({"stem": f"Q{n} ü"}),
            "imported_at": at(3), "retired_at": at(20) if n == 2 else None} for n in (1, 2, 3)]
    await db.execute(insert(questions), own)
    ids = {}
    for day, question in ((21, f"{cid}/q1"), (22, f"{cid}/q2"), (23, BUNDLED)):
        async with db.transaction() as conn:
            made = await conn.execute(insert(daily_posts).returning(daily_posts.c.id), {
                "community_id": cid, "local_date": f"2026-11-{day}", "question_id": question, "cycle": 0,
                "scheduled_at": at(day, 2), "reveal_at": at(day, 3), "immediate": int(day == 23),
                "announced_at": at(day, 2), "revealed_at": at(day, 3) if day < 23 else None})
            ids[f"2026-11-{day}"] = made.scalar_one()
    await db.execute(insert(answers), [
        {"post_id": ids["2026-11-21"], "member_id": "discord:1", "choice": "A", "correct": 1, "answered_at": at(21, 2),
         "change_until": at(21, 2), "changed_at": None},
        {"post_id": ids["2026-11-21"], "member_id": "discord:2", "choice": "C", "correct": 0, "answered_at": at(21, 2),
         "change_until": None, "changed_at": at(21, 2)},
        {"post_id": ids["2026-11-22"], "member_id": "discord:1", "choice": "E", "correct": 0, "answered_at": at(22, 2),
         "change_until": None, "changed_at": None},
        {"post_id": ids["2026-11-23"], "member_id": "discord:2", "choice": "B", "correct": 1, "answered_at": at(23, 2),
         "change_until": None, "changed_at": None}])
    await db.execute(insert(question_reports), [
        {"community_id": cid, "question_id": f"{cid}/q1", "post_id": ids["2026-11-21"], "member_id": "discord:2",
         "note": "C is also right", "reported_at": at(21, 5), "resolved_at": None},
        {"community_id": cid, "question_id": f"{cid}/q2", "post_id": ids["2026-11-22"], "member_id": "discord:1",
         "note": "typo", "reported_at": at(22, 5), "resolved_at": at(22, 6)}])
    await StreakStore(db, FrozenClock(datetime(2026, 11, 23, tzinfo=UTC))).record([  # folded as the bot folds them
        Activity(cid, "discord:1", "checkin", datetime(2026, 11, 21, 18, tzinfo=UTC), "Asia/Karachi", 0, 20, 45,
                 "renal block ü"),
        Activity(cid, "discord:1", "qotd", datetime(2026, 11, 22, 2, tzinfo=UTC), "Asia/Karachi", 0, 1, ref="post:1"),
        Activity(cid, "discord:2", "checkin", datetime(2026, 11, 22, 23, tzinfo=UTC), "UTC", 4)])
    return ids


async def test_a_community_moves_from_sqlite_to_postgresql_and_back_unchanged(tmp_path: Path, pg_database: str) -> None:
    source = await Database(str(tmp_path / "source.db")).open()
    await bank(source)
    await seed(source)
    await seed(source, "discord:999")  # another community in the same database: none of it goes along
    first = await export_community(source, CID)
    await source.close()
    assert first is not None and first["format"] == FORMAT
    assert [p["local_date"] for p in first["posts"]] == ["2026-11-21", "2026-11-22", "2026-11-23"]
    assert [q["id"] for q in first["questions"]] == [f"{CID}/q1", f"{CID}/q2", f"{CID}/q3"]
    assert first["questions"][1]["retired_at"] == at(20)
    assert [m["id"] for m in first["members"]] == ["discord:1", "discord:2"]  # only those who answered or reported
    assert len(first["answers"]) == 4 and len(first["reports"]) == 2
    assert "post_id" not in json.dumps(first) and "community_id" not in json.dumps(first)

    postgres = await Database(pg_database).open()
    await bank(postgres)
    await import_community(postgres, check_export(json.loads(dumps(first))))
    second = await export_community(postgres, CID)
    await postgres.close()
    assert dumps(second or {}) == dumps(first)

    back = await Database(str(tmp_path / "back.db")).open()
    await bank(back)
    done = await import_community(back, check_export(json.loads(dumps(second or {}))))
    third = await export_community(back, CID)
    await back.close()
    assert (done.posts, done.answers, done.questions, done.reports, done.members) == (3, 4, 3, 2, 2)
    assert dumps(third or {}) == dumps(first)


async def test_an_imported_community_s_answers_and_reports_point_at_its_new_posts(db: Database, tmp_path: Path) -> None:
    other = await Database(str(tmp_path / "other.db")).open()
    await bank(other)
    await seed(other)
    document = await export_community(other, CID)
    await other.close()
    await seed(db, "discord:555")  # the target's own posts take the first ids
    await import_community(db, check_export(document))
    joined = await db.fetchall(
        select(daily_posts.c.local_date, answers.c.member_id, answers.c.choice)
        .join(answers, answers.c.post_id == daily_posts.c.id).where(daily_posts.c.community_id == CID)
        .order_by(daily_posts.c.local_date, answers.c.member_id))
    assert [tuple(row.values()) for row in joined] == [("2026-11-21", "discord:1", "A"), ("2026-11-21", "discord:2", "C"),
                                                       ("2026-11-22", "discord:1", "E"), ("2026-11-23", "discord:2", "B")]
    reported = await db.fetchall(
        select(daily_posts.c.local_date, question_reports.c.note)
        .join(question_reports, question_reports.c.post_id == daily_posts.c.id)
        .where(question_reports.c.community_id == CID).order_by(daily_posts.c.local_date))
    assert [tuple(row.values()) for row in reported] == [("2026-11-21", "C is also right"), ("2026-11-22", "typo")]


async def exported(tmp_path: Path) -> dict[str, Any]:
    db = await Database(str(tmp_path / "file-source.db")).open()
    await bank(db)
    await seed(db)
    document = await export_community(db, CID)
    await db.close()
    assert document is not None
    return json.loads(dumps(document))


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "community.json"
    path.write_text(document if isinstance(document, str) else dumps(document), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(UserError) as refused:
        read_export(path)
    return str(refused.value)


async def test_a_bad_file_is_refused_saying_exactly_where(tmp_path: Path) -> None:
    good = await exported(tmp_path)
    missing = json.loads(json.dumps(good))
    del missing["posts"][2]["local_date"]
    assert refusal(write(tmp_path, missing)).endswith("posts[2]: missing field 'local_date'.")
    wrong = {**good, "version": 99}
    assert "format version 99 is not one this Rounds reads" in refusal(write(tmp_path, wrong))
    twice = json.loads(json.dumps(good))
    twice["questions"].append(dict(twice["questions"][0]))
    assert refusal(write(tmp_path, twice)).endswith(f"questions[3]: duplicate id '{CID}/q1' (also questions[0]).")
    same_day = json.loads(json.dumps(good))
    same_day["posts"][1]["local_date"] = "2026-11-21"
    assert "posts[1]: duplicate local_date '2026-11-21' (also posts[0])" in refusal(write(tmp_path, same_day))
    typed = json.loads(json.dumps(good))
    typed["answers"][0]["correct"] = 1
    assert refusal(write(tmp_path, typed)).endswith("answers[0].correct: expected true or false, got 1.")
    dangling = json.loads(json.dumps(good))
    dangling["answers"][3]["post"] = "2026-12-01"
    assert "answers[3].post: '2026-12-01' is not the local_date of any of the file's posts" in refusal(write(tmp_path, dangling))
    broken = write(tmp_path, dumps(good).replace('"cycle": 0,', '"cycle": 0', 1))
    assert "not valid JSON at line" in refusal(broken)
    line = int(refusal(broken).split("line ")[1].split(",")[0])
    assert '"' in broken.read_text().splitlines()[line - 1]
    assert refusal(tmp_path / "nowhere.json").endswith("nowhere.json: no such file.")


async def test_an_import_of_a_community_already_there_writes_nothing(db: Database, tmp_path: Path) -> None:
    document = await exported(tmp_path)
    await seed(db)
    before = await db.fetchone(select(func.count()).select_from(daily_posts))
    with pytest.raises(UserError, match=f"{CID} already exists in the database at .*nothing was imported"):
        await import_community(db, check_export(document))
    assert await db.fetchone(select(func.count()).select_from(daily_posts)) == before


async def test_a_post_whose_question_is_nowhere_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    document = await exported(tmp_path)
    document["posts"][2]["question_id"] = "bundled-from-a-newer-rounds"
    with pytest.raises(UserError, match=r"posts\[2\]\.question_id: 'bundled-from-a-newer-rounds' is neither"):
        await import_community(db, check_export(document))
    assert await db.fetchone(select(communities.c.id).where(communities.c.id == CID)) is None
    assert await db.fetchall(select(questions.c.id).where(questions.c.community_id == CID)) == []


async def distributions(db: Database) -> list[tuple[Any, ...]]:
    found = await db.fetchall(select(answers.c.post_id, answers.c.choice, func.count().label("n"))
                              .group_by(answers.c.post_id, answers.c.choice).order_by(answers.c.post_id, answers.c.choice))
    return [tuple(row.values()) for row in found]


async def test_forgetting_a_member_erases_them_and_keeps_every_count(db: Database) -> None:
    await seed(db)
    before = await distributions(db)
    mine = await member_data(db, "discord:1")
    assert mine["member"]["display_name"] == "Ayesha"
    assert [(a["post"], a["choice"], a["correct"]) for a in mine["answers"]] == [("2026-11-22", "E", False),
                                                                                ("2026-11-21", "A", True)]
    assert [r["note"] for r in mine["reports"]] == ["typo"]

    done = await forget_member(db, "discord:1")
    assert (done.answers, done.reports, done.member) == (2, 1, True)
    assert await distributions(db) == before
    left = await member_data(db, "discord:1")
    assert (left["member"], left["answers"], left["reports"]) == (None, [], [])
    erased = await db.fetchall(select(answers.c.member_id, answers.c.change_until)
                                     .where(answers.c.member_id.like("erased:%")))
    assert len(erased) == 2 and len({row["member_id"] for row in erased}) == 2  # not linkable to each other
    assert all(row["change_until"] is None for row in erased)
    assert (await member_data(db, "discord:2"))["member"]["display_name"] == "Bilal"  # others untouched

    again = await forget_member(db, "discord:1")
    assert not again.anything
    assert await distributions(db) == before


async def test_a_question_id_the_target_already_holds_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    document = await exported(tmp_path)
    await db.execute(insert(questions), {**document["questions"][1], "community_id": "discord:7"})
    with pytest.raises(UserError, match=rf"questions\[1\]: question '{CID}/q2' already exists in this database \(it "
                                        r"belongs to community discord:7\)"):
        await import_community(db, check_export(document))
    assert await db.fetchone(select(communities.c.id).where(communities.c.id == CID)) is None
    assert await db.fetchall(select(members.c.id)) == []


async def test_two_open_reports_by_one_member_on_one_question_are_refused(tmp_path: Path) -> None:
    document = await exported(tmp_path)
    document["reports"].append({**document["reports"][0], "note": "again"})
    with pytest.raises(UserError, match=r"reports\[2\]: a second open report by discord:2 on question "
                                        rf"'{CID}/q1' \(also reports\[0\]\)"):
        check_export(document)
