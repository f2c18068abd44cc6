"""`rounds content stats`: the bank's figures beside the outline's targets, on the real bank and on a small file whose
every number is known."""

from __future__ import annotations

import json
from collections import Counter

from bots.cli import main
from core.questions.bank import load_bundled
from core.questions.model import LETTERS, Question
from core.questions.stats import compute, key_is_longest
from core.questions.taxonomy import load_taxonomy
from tests.content.test_content_cli import GOOD, write_json

LONG_KEY = dict(GOOD, options=dict(GOOD["options"], A="Diastole, the filling phase of the cycle"))  # now the longest


def fixture() -> list[dict]:
    return [
        dict(LONG_KEY, id="club-001"),
        dict(GOOD, id="club-002", stem=GOOD["stem"] + " Second case."),
        dict(GOOD, id="club-003", stem=GOOD["stem"] + " Third case.", answer="B", system="renal-urinary",
             disciplines=["physiology", "pharmacology"], competency="diagnosis",
             explanations={x: ("Correct. " if x == "B" else "Incorrect. ") + "Reason given here." for x in LETTERS}),
    ]


def test_stats_of_a_small_file(tmp_path, capsys):
    file = write_json(tmp_path / "club.json", fixture())
    assert main(["content", "stats", str(file)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{file}: 3 questions (Step 1 3)"
    assert "Answer letters: A 2 (67%)  B 1 (33%)  C 0 (0%)  D 0 (0%)  E 0 (0%)" in out
    # club-001's A was lengthened; club-003's key B, 'Isovolumetric contraction', is GOOD's longest option
    assert "Key is the longest option: 2 of 3 (67%; about 20% by chance, the content test allows 25%)" in out
    counts = {parts[0]: parts[1:] for parts in (line.split() for line in out if line.startswith("  ")) if len(parts) == 3}
    assert counts["medical-knowledge"] == ["2", "67%"] and counts["diagnosis"] == ["1", "33%"]
    assert counts["physiology"] == ["3", "100%"] and counts["pharmacology"] == ["1", "33%"]
    assert "medicine" not in counts, "a Step 1 file lists only the disciplines Step 1 allows"
    assert counts["cardiovascular"] == ["2", "67%"] and counts["skin"] == ["0", "0%"]
    rows = {line[2:64].strip(): line[64:].split() for line in out if line.startswith("  ") and len(line) > 64}
    assert rows["Cardiovascular System"] == ["2", "67%", "7-11%", "above"]
    assert rows["Respiratory & Renal/Urinary Systems"] == ["1", "33%", "11-15%", "above"]
    assert rows["Reproductive & Endocrine Systems"] == ["0", "0%", "12-16%", "below"]
    assert "Step 2 CK:" not in "\n".join(out)


def test_stats_of_the_bundled_bank_match_a_count_of_its_files(capsys):
    bank = load_bundled(load_taxonomy())
    assert main(["content", "stats"]) == 0
    out = capsys.readouterr().out
    steps = Counter(q.step for q in bank)
    assert out.startswith(f"the bundled bank: {len(bank)} questions (Step 1 {steps['step1']}, Step 2 CK {steps['step2ck']}")
    letters = Counter(q.answer for q in bank)
    assert "Answer letters: " + "  ".join(f"{x} {letters[x]} ({letters[x] / len(bank):.0%})" for x in LETTERS) in out
    longest = sum(max(q.options, key=lambda k: len(q.options[k])) == q.answer for q in bank)  # the brief's own count
    assert f"Key is the longest option: {longest} of {len(bank)} ({longest / len(bank):.0%};" in out
    assert f"Step 1: {steps['step1']} questions by the outline's systems" in out
    assert "source: usmle.org, 'Step 1 Content Outline and Specifications'" in out
    assert "NOT confirmed" in out  # Step 2 CK's unconfirmed ranges say so where they are printed


def test_stats_for_one_step(capsys):
    bank = [q for q in load_bundled(load_taxonomy()) if q.step == "step2ck"]
    assert main(["content", "stats", "--step", "step2ck"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"the bundled bank: {len(bank)} questions (Step 2 CK {len(bank)})")
    assert "Step 1:" not in out and "  anatomy " not in out and "  medicine " in out
    assert main(["content", "stats", "--step", "step4"]) == 2
    assert "--step 'step4' is not a step: use one of step1, step2ck, step3." in capsys.readouterr().err


def test_stats_refuse_a_file_with_problems(tmp_path, capsys):
    file = write_json(tmp_path / "club.json", [dict(GOOD, answer="F")])
    assert main(["content", "stats", str(file)]) == 1
    assert "field answer" in capsys.readouterr().err


def test_a_tie_for_longest_counts_for_the_first_letter_as_the_brief_script_does():
    tie = Question.from_dict(dict(GOOD, options={"A": "aaaa", "B": "bbbb", "C": "c", "D": "d", "E": "e"}, answer="B"))
    first = Question.from_dict(dict(GOOD, options={"A": "aaaa", "B": "bbbb", "C": "c", "D": "d", "E": "e"}, answer="A"))
    assert not key_is_longest(tie) and key_is_longest(first)


def test_compute_keeps_empty_steps_out_and_counts_untargeted_systems():
    taxonomy = load_taxonomy()
    questions = [Question.from_dict(dict(GOOD, system="general-principles"))]
    stats = compute(questions, taxonomy)
    assert list(stats.steps) == ["step1"] and [o.step for o in stats.outlines] == ["step1"]
    assert stats.outlines[0].untargeted == {"general-principles": 1}  # the current Step 1 outline has no such row
    assert compute(questions, taxonomy, step="step3").total == 0
    assert json.dumps(stats.letters) == '{"A": 1, "B": 0, "C": 0, "D": 0, "E": 0}'
