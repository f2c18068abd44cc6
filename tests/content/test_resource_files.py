"""The resource library's files: the real `content/resources/` loads with no problem and covers what the issue asks,
and each rule of the format catches a small bad fixture (one test a rule), naming the file and the entry."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from core.resources.library import STEP_SLUGS, LibraryError, check_folder, load_bundled
from tests.unit.resource_kit import entry, roadmap, write_library

REAL = Path(__file__).resolve().parents[2] / "content" / "resources"
real_only = pytest.mark.skipif(not REAL.is_dir(), reason="content/resources/ is not on this branch yet (the content "
                                                         "helper writes it; the lead merges it)")


@real_only
def test_the_bundled_library_loads_with_no_problem() -> None:
    library, problems = check_folder(REAL, bundled=True)
    assert problems == [], "\n".join(map(str, problems))
    assert load_bundled(REAL).resources == library.resources


@real_only
def test_the_bundled_library_covers_the_pathway() -> None:
    library = load_bundled(REAL)
    assert len(library.resources) >= 60
    assert len(library.synonyms) >= 30
    assert tuple(s.slug for s in library.steps) == STEP_SLUGS
    for term in ("ck", "lor", "yog", "usce", "img", "soap", "rol", "mspe", "ds-2019"):
        assert term in library.synonyms or any(term in (a.lower() for a in r.aliases) for r in library.resources), term


def problems_of(tmp_path: Path, *entries: dict, bundled: bool = True, **files) -> list[str]:
    folder = write_library(Path(tempfile.mkdtemp(dir=tmp_path)), {"ecfmg": [entry(steps=list(STEP_SLUGS)), *entries]},
                           **files)
    return [str(p) for p in check_folder(folder, bundled=bundled)[1]]


def test_a_valid_fixture_has_no_problem(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == []


def test_a_broken_bundled_library_refuses_to_start_with_every_problem(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {"ecfmg": [entry(steps=list(STEP_SLUGS)), entry("x", title="no")]})
    with pytest.raises(LibraryError, match=r"invalid \(2 problems\)[\s\S]*ecfmg.json, entry 2 \(x\), field id"):
        load_bundled(folder)


def test_a_missing_folder_is_an_empty_library(tmp_path: Path) -> None:
    assert load_bundled(tmp_path / "nothing").resources == ()


def test_schema_and_json(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib")
    (folder / "usmle.json").write_text('{"schema": 1, "resources": [', encoding="utf-8")
    (folder / "eras.json").write_text(json.dumps({"schema": 2, "resources": []}), encoding="utf-8")
    found = [str(p) for p in check_folder(folder, bundled=True)[1]]
    assert any(p.startswith("usmle.json, line 1") and "not valid JSON" in p for p in found)
    assert any(p.startswith("eras.json: expected") for p in found)


def test_unknown_fields_and_types(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("usmle-1", last_checked="2026-01-01", tags="usmle"))
    assert "ecfmg.json, entry 2 (usmle-1), field last_checked: unknown field" in found
    assert any("field tags: must be a list" in p for p in found)


def test_lengths(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("short-one", title="Hi", answer="Too short."))
    assert any("(short-one), field title: 2 characters, must be 5–90" in p for p in found)
    assert any("(short-one), field answer: 10 characters, must be 120–700" in p for p in found)


def test_id_pattern(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("Bad Id"), entry("c12"))
    assert any("(Bad Id), field id: must be 3–64" in p for p in found)
    assert any("(c12), field id" in p and "community" in p for p in found)


def test_ids_are_unique_across_files(tmp_path: Path) -> None:
    folder = write_library(tmp_path / "lib", {"ecfmg": [entry(steps=list(STEP_SLUGS))], "usmle": [entry()]})
    found = [str(p) for p in check_folder(folder, bundled=True)[1]]
    assert any("usmle.json (ecfmg-certification), field id: duplicate id (also in ecfmg.json)" in p for p in found)


@pytest.mark.parametrize("url, why", [
    ("http://www.ecfmg.org/", "https://"), ("https:///path", "https://"), ("https://www.ecfmg.org/a b", "spaces"),
    ("https://www.ecfmg.org/<script>", "markup"), ("https://user@www.ecfmg.org/", "user name"),
    ("https://www.ecfmg.org/" + "a" * 300, "at most 300"),
])
def test_url_form(tmp_path: Path, url: str, why: str) -> None:
    found = problems_of(tmp_path, entry("bad-url", sources=[{"title": "x", "url": url}]), bundled=False)
    assert any("(bad-url), field sources.1.url" in p and why in p for p in found), found


def test_bundled_hosts_are_on_the_allowlist(tmp_path: Path) -> None:
    elsewhere = entry("blog-post", sources=[{"title": "a blog", "url": "https://img-blog.example.com/ecfmg"}])
    sub = entry("subdomain", sources=[{"title": "ERAS", "url": "https://students-residents.aamc.org/eras"}])
    lookalike = entry("lookalike", sources=[{"title": "x", "url": "https://notecfmg.org/"}])
    found = problems_of(tmp_path, elsewhere, sub, lookalike)
    assert any("(blog-post), field sources.1.url: img-blog.example.com is not on the official allowlist" in p
               for p in found)
    assert any("(lookalike)" in p for p in found)
    assert not any("(subdomain)" in p for p in found)
    assert not any("(blog-post)" in p for p in problems_of(tmp_path, elsewhere, bundled=False))


def test_tags_are_lowercase_slugs(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("bad-tags", tags=["Step 1"]), entry("no-tags", tags=[]))
    assert any("(bad-tags), field tags: 'Step 1' is not one of the lowercase slugs" in p for p in found)
    assert any("(no-tags), field tags: 0 items, must be 1–8" in p for p in found)


def test_an_alias_belongs_to_one_entry(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("usce-one", aliases=["USCE"]), entry("usce-two", aliases=["usce"]))
    assert any("(usce-two), field aliases: alias 'usce' is claimed by usce-one too" in p for p in found)


@pytest.mark.parametrize("fact", ["opens in 2026", "opens in June", "costs $160", "the deadline is soon",
                                  "the fee changes"])
def test_a_date_like_answer_needs_a_cycle_and_a_confirm_note(tmp_path: Path, fact: str) -> None:
    answer = f"The application {fact}. " + "x" * 120
    found = problems_of(tmp_path, entry("dated", answer=answer))
    assert any("(dated), field cycle: the answer states" in p for p in found), found
    cycle_only = problems_of(tmp_path, entry("dated", answer=answer, cycle="ERAS 2027"))
    assert any("(dated), field confirm: required with a cycle" in p for p in cycle_only)
    assert problems_of(tmp_path, entry("dated", answer=answer, cycle="ERAS 2027", confirm="Confirm on aamc.org.")) == []


def test_dates_only_with_a_cycle_and_real(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("undated", dates=[{"label": "Match Day", "on": "2027-03-19"}]),
                        entry("bad-day", cycle="Match 2027", confirm="Confirm on nrmp.org.",
                              dates=[{"label": "Match Day", "on": "2027-02-30"}]))
    assert any("(undated), field dates: only with a cycle" in p for p in found)
    assert any("(bad-day), field dates.1: must be" in p for p in found)


def test_steps_are_roadmap_slugs(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("bad-step", steps=["step-one"]))
    assert any("(bad-step), field steps: 'step-one' is not one of the roadmap step slugs" in p for p in found)


def test_roadmap_steps_all_present_in_order(tmp_path: Path) -> None:
    shuffled = roadmap()
    shuffled["steps"][0], shuffled["steps"][1] = shuffled["steps"][1], shuffled["steps"][0]
    assert any(p.startswith("roadmap.json: the steps must be, in this order") for p in problems_of(tmp_path, steps=shuffled))
    missing = roadmap()
    missing["steps"].pop()
    assert any("found ecfmg-application" in p and "step3" not in p.split("found")[1]
               for p in problems_of(tmp_path, steps=missing))
    assert any(p.startswith("roadmap.json: missing") for p in problems_of(tmp_path, steps=False))


def test_roadmap_steps_point_to_entries_that_list_them(tmp_path: Path) -> None:
    found = problems_of(tmp_path, entry("letters", steps=[]), steps={"schema": 1, "steps": [
        {"slug": s, "title": s, "resource": {"letters": "letters", "visa": "nowhere"}.get(s, "ecfmg-certification")}
        for s in STEP_SLUGS]})
    assert any("step 7 (letters), field resource: letters does not list 'letters' in its steps" in p for p in found)
    assert any("(visa), field resource: 'nowhere' is not an entry of the library" in p for p in found)


def test_synonyms_are_lowercase_terms_with_phrases(tmp_path: Path) -> None:
    found = problems_of(tmp_path, synonyms={"schema": 1, "synonyms": {"CK": ["step 2 ck"], "lor": []}})
    assert any("synonym 'CK': the term must be lowercase" in p for p in found)
    assert any("synonym 'lor': must map to a list" in p for p in found)
    assert any(p.startswith("synonyms.json: missing") for p in problems_of(tmp_path, synonyms=False))
