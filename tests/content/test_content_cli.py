"""`rounds content check|import`: every problem reported with its place; imports are all or nothing."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC
from pathlib import Path

from sqlalchemy import select

from bots.cli import main
from core.bootstrap import build
from core.questions.model import CSV_COLUMNS
from core.questions.tags import TagFilter
from core.settings import Settings
from core.storage.schema import questions

GOOD = {
    "id": "club-001", "step": "step1", "system": "cardiovascular", "disciplines": ["physiology"],
    "competency": "medical-knowledge",
    "stem": "A 25-year-old woman runs on a treadmill while her cardiac output is measured. Her heart rate rises from 60/min to 150/min.",
    "lead_in": "Which phase of the cardiac cycle shortens the most as heart rate rises?",
    "options": {"A": "Diastole", "B": "Isovolumetric contraction", "C": "Ejection", "D": "Isovolumetric relaxation", "E": "Atrial systole"},
    "answer": "A",
    "explanations": {x: ("Correct. " if x == "A" else "Incorrect. ") + "Reason given here." for x in "ABCDE"},
    "objective": "Diastole shortens more than systole as heart rate rises, limiting filling time.",
    "references": ["Guyton and Hall Textbook of Medical Physiology, 14th ed."],
}


def write_json(path: Path, questions: list[dict]) -> Path:
    path.write_text(json.dumps({"schema": 1, "questions": questions}, indent=2))
    return path


def test_check_reports_every_problem_with_its_place(tmp_path, capsys):
    bad = dict(GOOD, id="club-002", step="step9", options={"A": "x"}, lead_in="no question mark")
    pinging = dict(GOOD, id="club-003", stem=GOOD["stem"] + " Ask <!channel> and <@&123> for help.")
    file = write_json(tmp_path / "club.json", [GOOD, bad, dict(GOOD), pinging])
    assert main(["content", "check", str(file)]) == 1
    err = capsys.readouterr().err
    assert "question 2 (club-002), field step" in err
    assert "question 2 (club-002), field options" in err
    assert "question 2 (club-002), field lead_in" in err
    assert "question 3 (club-001), field id: duplicate id" in err
    assert "question 4 (club-003), field stem: must not contain mention markup" in err
    assert "nothing imported" not in err  # a check never imports: it says what to do next
    assert f"5 problems found; fix them and run `rounds content check {file}` again." in err


def test_check_refuses_a_discipline_the_step_does_not_test(tmp_path, capsys):
    """A community file is held to the same rule as the bundled bank: Step 1 basic sciences, clinical ones after."""
    clinical = dict(GOOD, id="club-002", disciplines=["physiology", "psychiatry"])
    basic = dict(GOOD, id="club-003", step="step2ck", disciplines=["behavioral-sciences"])
    file = write_json(tmp_path / "club.json", [GOOD, clinical, basic])
    assert main(["content", "check", str(file)]) == 1
    err = capsys.readouterr().err
    assert ("question 2 (club-002), field disciplines: 'psychiatry' is not a Step 1 discipline: a Step 1 question "
            "takes anatomy, behavioral-sciences, biochemistry") in err
    assert ("question 3 (club-003), field disciplines: 'behavioral-sciences' is not a Step 2 CK discipline: a Step 2 "
            "CK question takes medicine, surgery, pediatrics, obstetrics-gynecology, psychiatry") in err
    assert "2 problems found" in err


def test_check_reports_broken_json_by_line(tmp_path, capsys):
    file = tmp_path / "broken.json"
    file.write_text('{"schema": 1,\n "questions": [\n  {"id": "x",,}\n ]}')
    assert main(["content", "check", str(file)]) == 1
    assert "line 3" in capsys.readouterr().err


def test_check_accepts_csv_and_reports_by_line(tmp_path, capsys):
    file = tmp_path / "club.csv"
    with file.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        row = {"id": GOOD["id"], "step": "step1", "system": "cardiovascular", "disciplines": "physiology",
               "competency": "medical-knowledge", "stem": GOOD["stem"], "lead_in": GOOD["lead_in"], "answer": "A",
               "objective": GOOD["objective"], "references": "Guyton and Hall; Boron"}
        row |= {f"option_{x.lower()}": v for x, v in GOOD["options"].items()}
        row |= {f"explanation_{x.lower()}": v for x, v in GOOD["explanations"].items()}
        writer.writerow(row)
        writer.writerow(dict(row, id="club-002", answer="F"))
    assert main(["content", "check", str(file)]) == 1
    assert "line 3, field answer" in capsys.readouterr().err


def test_import_is_all_or_nothing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "rounds.db"
    monkeypatch.setenv("ROUNDS_DB", str(db))
    broken = write_json(tmp_path / "broken.json", [GOOD, dict(GOOD, id="club-002", answer="Z")])
    assert main(["content", "import", str(broken), "--community", "discord:42"]) == 1
    good = write_json(tmp_path / "good.json", [GOOD, dict(GOOD, id="club-002")])
    assert main(["content", "import", str(good), "--community", "discord:42"]) == 0
    assert "into discord:42's bank: 2 added, 0 updated, 0 unchanged." in capsys.readouterr().out

    asyncio.run(assert_imported(str(db)))


async def assert_imported(db: str) -> None:
    services = await build(Settings(db_path=db))
    try:
        rows = await services.db.fetchall(
            select(questions.c.id).where(questions.c.community_id == "discord:42").order_by(questions.c.id))
        assert [r["id"] for r in rows] == ["discord:42/club-001", "discord:42/club-002"]
        ours = {q.id for q in services.bank.available("discord:42", TagFilter())}
        theirs = {q.id for q in services.bank.available("discord:7", TagFilter())}
        assert "discord:42/club-001" in ours and "discord:42/club-001" not in theirs
    finally:
        await services.close()


def test_a_running_bot_picks_up_an_import_on_its_next_day(tmp_path, monkeypatch):
    db = str(tmp_path / "live.db")
    monkeypatch.setenv("ROUNDS_DB", db)

    async def scenario() -> None:
        from datetime import datetime

        from core.clock import FrozenClock

        clock = FrozenClock(datetime(2026, 11, 24, 10, tzinfo=UTC))
        running = await build(Settings(db_path=db), clock=clock)
        try:
            community = await running.communities.get("discord:99")
            community = await running.communities.update(community, tag_filter=TagFilter(frozenset({"cardiovascular"})))
            good = write_json(tmp_path / "club.json", [GOOD])
            await asyncio.to_thread(main, ["content", "import", str(good), "--community", "discord:99"])
            seen = set()
            for _ in range(8):
                seen.add((await running.qotd.today(community))[1].id)
                clock.advance(days=1)
            assert "discord:99/club-001" in seen
        finally:
            await running.close()

    asyncio.run(scenario())
