"""A community's bank written out as a file `rounds content import` reads back to the same questions: JSON (the
bundled files' schema), CSV (the documented columns) or an Anki package (the documented field mapping).

The file is written whole beside its target and then moved into place, so an interrupted export never leaves half a
file where the last good one was.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from core.errors import UserError
from core.questions import anki
from core.questions.model import CSV_COLUMNS, LETTERS, Question

FORMATS = ("json", "csv", "apkg")


def format_of(path: Path, given: str | None) -> str:
    """The format asked for, else the one the output's extension names."""
    if given is not None:
        if given not in FORMATS:
            raise UserError(f"--format {given} is not one Rounds writes: use json, csv or apkg.")
        return given
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UserError(f"Which format should {path.name} be? Give --format json, csv or apkg, or end the file name "
                        "in .json, .csv or .apkg.")
    return suffix


def to_json(questions: list[Question]) -> bytes:
    return (json.dumps({"schema": 1, "questions": [q.to_dict() for q in questions]}, indent=2, ensure_ascii=False)
            + "\n").encode("utf-8")


def to_csv(questions: list[Question]) -> bytes:
    """One row a question; disciplines joined with ';', references one a line (a citation may hold a ';'), as the
    import splits them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for q in questions:
        row = {"id": q.id, "step": q.step, "system": q.system, "disciplines": "; ".join(q.disciplines),
               "competency": q.competency, "stem": q.stem, "lead_in": q.lead_in, "answer": q.answer,
               "objective": q.objective, "references": "\n".join(q.references)}
        row |= {f"option_{x.lower()}": q.options[x] for x in LETTERS}
        row |= {f"explanation_{x.lower()}": q.explanations[x] for x in LETTERS}
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


def render(questions: list[Question], fmt: str, community_id: str, timestamp: float) -> bytes:
    if fmt == "apkg":
        return anki.package_bytes(questions, community_id, timestamp)
    return to_csv(questions) if fmt == "csv" else to_json(questions)


def write_export(path: Path, body: bytes, *, overwrite: bool) -> None:
    """The file put in place at once; an existing file is kept unless the admin said to replace it."""
    if path.exists() and not overwrite:
        raise UserError(f"{path} exists already: give another --output, or add --force to replace it.")
    if path.parent and not path.parent.is_dir():
        raise UserError(f"There is no folder {path.parent}: create it, or give another --output.")
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(body)
        os.replace(partial, path)
    except OSError as error:
        raise UserError(f"Cannot write {path} ({error.strerror or error}): give another --output.") from None
    finally:
        partial.unlink(missing_ok=True)
