"""Every bundled file loads and validates (Red-DiscordBot's trivia-schema idea), the bank is broad enough, and it
keeps the content standard: tags its step allows, no answer cue in the option lengths or the letters."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import content
from core.questions.bank import load_bundled
from core.questions.model import LETTERS, parse_file
from core.questions.taxonomy import load_taxonomy

FILES = content.question_files()


@pytest.mark.parametrize("file", FILES, ids=[f.name for f in FILES])
def test_each_bundled_file_is_valid(file):
    questions, problems = parse_file(Path(str(file)), load_taxonomy())
    assert problems == []
    assert questions
    system = {q.system for q in questions}
    assert len(system) == 1 and file.name.endswith(f"-{system.pop()}.json"), "one system per file, named after it"


def test_the_bank_covers_steps_and_systems():
    questions = load_bundled(load_taxonomy())
    assert len(questions) >= 60
    steps = Counter(q.step for q in questions)
    assert steps["step1"] >= 25 and steps["step2ck"] >= 25
    assert len({q.system for q in questions}) >= 10
    assert len({q.id for q in questions}) == len(questions)


def test_every_question_explains_every_option():
    for q in load_bundled(load_taxonomy()):
        assert set(q.explanations) == set(LETTERS)
        assert q.explanations[q.answer].lower().startswith("correct"), q.id
        assert all(not q.explanations[x].lower().startswith("correct") for x in LETTERS if x != q.answer), q.id
        assert q.objective and q.references


def test_answer_letters_are_spread():
    """A bank whose answer is usually C teaches guessing; no letter may carry more than 30%."""
    letters = Counter(q.answer for q in load_bundled(load_taxonomy()))
    total = sum(letters.values())
    assert set(letters) == set(LETTERS)
    assert max(letters.values()) / total <= 0.30


def test_taxonomy_slugs_are_unique_across_filter_categories():
    data = json.loads(content.taxonomy_text())
    slugs = [s for kind in ("steps", "systems", "disciplines") for s in data[kind]]
    assert len(slugs) == len(set(slugs))


def test_every_discipline_is_one_its_step_allows():
    """Step 1 is tagged by basic science, Step 2 CK and Step 3 by clinical discipline (taxonomy.json)."""
    taxonomy = load_taxonomy()
    wrong = [(q.id, d) for q in load_bundled(taxonomy) for d in q.disciplines if d not in taxonomy.allowed_disciplines(q.step)]
    assert wrong == []


def test_the_longest_option_is_seldom_the_key():
    """By chance the key is the longest option about a fifth of the time; a bank far above that teaches picking the
    longest option (the review found 30%)."""
    questions = load_bundled(load_taxonomy())
    longest = [q.id for q in questions if max(LETTERS, key=lambda x: len(q.options[x])) == q.answer]
    assert len(longest) / len(questions) <= 0.25, longest


def test_biostatistics_items_are_practice_based_learning():
    """The outline files interpreting data and the literature under Practice-Based Learning & Improvement."""
    wrong = [q.id for q in load_bundled(load_taxonomy())
             if q.system == "biostatistics-epidemiology" and q.competency != "practice-based-learning"]
    assert wrong == []
