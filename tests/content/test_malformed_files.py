"""Malformed question files, JSON and CSV, each refused with one precise message that says where and what: broken
JSON, a missing field, a wrong key letter, four options, duplicate ids, bytes that are not UTF-8, an empty file and a
file over the size limit. Nothing is returned from a file with any problem."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from core.questions.model import CSV_COLUMNS, MAX_FILE_BYTES, parse_file
from core.questions.taxonomy import load_taxonomy
from tests.content.test_content_cli import GOOD


def problems(path: Path) -> list[str]:
    questions, found = parse_file(path, load_taxonomy())
    assert questions == [] and found
    return [str(p) for p in found]


def write_json(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps({"schema": 1, "questions": entries}, indent=2))
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def csv_row(question: dict[str, Any]) -> dict[str, str]:
    row = {k: question[k] for k in ("id", "step", "system", "competency", "stem", "lead_in", "answer", "objective")}
    row |= {"disciplines": "; ".join(question["disciplines"]), "references": "; ".join(question["references"])}
    row |= {f"option_{x.lower()}": v for x, v in question["options"].items()}
    row |= {f"explanation_{x.lower()}": v for x, v in question["explanations"].items()}
    return row


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = CSV_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_broken_json_names_the_line_column_and_what_the_parser_expected(tmp_path: Path):
    file = tmp_path / "club.json"
    file.write_text('{"schema": 1,\n "questions": [\n  {"id": "x",,}\n ]}')
    assert problems(file) == ["line 3, column 14: not valid JSON: Expecting property name enclosed in double quotes"]


def test_a_missing_field_is_named_at_its_questions_line(tmp_path: Path):
    without = {k: v for k, v in GOOD.items() if k not in ("objective", "step")}
    file = write_json(tmp_path / "club.json", [without])
    start = line_of(file, '"id": "club-001"') - 1  # the question's opening brace
    assert problems(file) == [
        f"line {start}, question 1 (club-001), field step: missing; give one of step1, step2ck, step3",
        f"line {start}, question 1 (club-001), field objective: missing or empty",
    ]


def test_a_missing_csv_column_is_named(tmp_path: Path):
    columns = [c for c in CSV_COLUMNS if c != "objective"]
    file = write_csv(tmp_path / "club.csv", [csv_row(GOOD)], columns)
    assert problems(file) == ["line 1: missing columns: objective"]


def test_a_wrong_key_letter_is_quoted(tmp_path: Path):
    file = write_json(tmp_path / "club.json", [dict(GOOD, answer="F")])
    line = line_of(file, '"answer": "F"')
    assert problems(file) == [f"line {line}, question 1 (club-001), field answer: 'F' is not one of A, B, C, D, E"]
    sheet = write_csv(tmp_path / "club.csv", [csv_row(dict(GOOD, answer="F"))])
    assert problems(sheet) == ["line 2, field answer: 'F' is not one of A, B, C, D, E"]


def test_a_missing_key_letter_says_it_is_missing(tmp_path: Path):
    sheet = write_csv(tmp_path / "club.csv", [csv_row(dict(GOOD, answer=""))])
    assert problems(sheet) == ["line 2, field answer: missing; give the letter of the right option, one of A, B, C, D, E"]


def test_four_options_say_which_letter_is_missing(tmp_path: Path):
    four = {x: v for x, v in GOOD["options"].items() if x != "E"}
    file = write_json(tmp_path / "club.json", [dict(GOOD, options=four)])
    line = line_of(file, '"options"')
    assert problems(file) == [f"line {line}, question 1 (club-001), field options: 4 given (A, B, C, D); missing E; a "
                              "question has exactly five, A, B, C, D and E"]
    sheet = write_csv(tmp_path / "club.csv", [csv_row(GOOD) | {"option_e": ""}])
    assert problems(sheet) == ["line 2, field options.E: missing or empty"]


def test_an_option_letter_past_e_is_named(tmp_path: Path):
    six = dict(GOOD["options"], F="Ventricular filling")
    file = write_json(tmp_path / "club.json", [dict(GOOD, options=six)])
    assert problems(file)[0].endswith("field options: 6 given (A, B, C, D, E, F); 'F' is not a letter A–E; a question "
                                      "has exactly five, A, B, C, D and E")


def test_duplicate_ids_name_the_first(tmp_path: Path):
    second = dict(GOOD, stem=GOOD["stem"] + " Again.")
    file = write_json(tmp_path / "club.json", [GOOD, second])
    line = [n for n, text in enumerate(file.read_text().splitlines(), 1) if '"id": "club-001"' in text][1]
    assert problems(file) == [f"line {line}, question 2 (club-001), field id: duplicate id 'club-001' (first at "
                              "question 1 (club-001))"]
    sheet = write_csv(tmp_path / "club.csv", [csv_row(GOOD), csv_row(second)])
    assert problems(sheet) == ["line 3, field id: duplicate id 'club-001' (first at line 2)"]


def test_bytes_that_are_not_utf8_name_the_line_and_column(tmp_path: Path):
    sheet = write_csv(tmp_path / "club.csv", [csv_row(GOOD)])
    sheet.write_bytes(sheet.read_bytes().replace(b"treadmill", "tr\u00e9admill".encode("latin-1")))
    column = sheet.read_bytes().split(b"\n")[1].index(b"\xe9") + 1
    assert problems(sheet) == [f"line 2, column {column}: not UTF-8 text (byte 0xe9): save the file as UTF-8 and check "
                               "it again"]


def test_a_spreadsheets_byte_order_mark_is_not_a_problem(tmp_path: Path):
    sheet = write_csv(tmp_path / "club.csv", [csv_row(GOOD)])
    sheet.write_bytes(b"\xef\xbb\xbf" + sheet.read_bytes())
    questions, found = parse_file(sheet, load_taxonomy())
    assert found == [] and [q.id for q in questions] == ["club-001"]


@pytest.mark.parametrize("name", ["club.json", "club.csv", "club.apkg"])
def test_an_empty_file_says_it_is_empty(tmp_path: Path, name: str):
    file = tmp_path / name
    file.write_bytes(b"")
    assert problems(file) == ["file: the file is empty: export the questions again, or check you gave the right file"]


@pytest.mark.parametrize("name", ["club.json", "club.csv"])
def test_a_file_of_blank_space_says_so(tmp_path: Path, name: str):
    file = tmp_path / name
    file.write_text("\n  \n")
    assert problems(file) == ["file: the file holds only blank space: export the questions again, or check you gave "
                              "the right file"]


def test_a_file_with_no_questions_says_so(tmp_path: Path):
    file = write_json(tmp_path / "club.json", [])
    assert problems(file) == ["file: the file holds no questions"]


@pytest.mark.parametrize("name", ["club.json", "club.csv", "club.apkg"])
def test_a_file_over_the_size_limit_states_the_limit(tmp_path: Path, name: str):
    file = tmp_path / name
    with file.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    assert problems(file) == [f"file: the file is {MAX_FILE_BYTES + 1:,} bytes; Rounds imports files of at most 10 MB "
                              "(10,000,000 bytes): split it into smaller files and import each"]


def test_a_file_at_the_size_limit_is_read(tmp_path: Path):
    file = write_json(tmp_path / "club.json", [GOOD])
    body = file.read_bytes()
    file.write_bytes(body + b" " * (MAX_FILE_BYTES - len(body)))
    questions, found = parse_file(file, load_taxonomy())
    assert found == [] and len(questions) == 1
