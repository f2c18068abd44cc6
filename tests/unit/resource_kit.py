"""A small resource library for tests: valid entries to build on, a folder writer for bad fixtures, and a library of
a dozen realistic entries that the search tests rank (the real one lands with the content)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from core.community.members import Member
from core.resources.library import STEP_SLUGS, Library, check_folder

COMMUNITY = "console:default"
OTHER = "console:other"
ADMIN = "console:admin"

LONG = ("Plain words for a tired reader at midnight: what it is, who runs it, and what to do next, written in our own "
        "words and checked against the official page linked below.")


def member(name: str) -> Member:
    return Member(f"console:{name}", name)


def entry(rid: str = "ecfmg-certification", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rid, "title": "ECFMG certification, step by step", "answer": LONG,
        "sources": [{"title": "ECFMG certification", "url": "https://www.ecfmg.org/certification/"}],
        "tags": ["ecfmg"], "aliases": [], "steps": [], "cycle": None, "confirm": None,
    }
    data.update(fields)
    return data


def roadmap(resource: str = "ecfmg-certification") -> dict[str, Any]:
    return {"schema": 1, "steps": [{"slug": s, "title": s.replace("-", " ").title(), "resource": resource}
                                   for s in STEP_SLUGS]}


SYNONYMS = {"ck": ["step 2 ck"], "lor": ["letter of recommendation"], "usce": ["us clinical experience"],
            "img": ["international medical graduate"], "soap": ["supplemental offer and acceptance program"],
            "rol": ["rank order list"], "yog": ["year of graduation"],
            "mspe": ["medical student performance evaluation", "dean's letter"],
            "ds-2019": ["j-1 visa", "exchange visitor"], "j1": ["j-1 visa"]}


def write_library(folder: Path, files: dict[str, list[dict[str, Any]]] | None = None, *,
                  steps: Any = None, synonyms: Any = None) -> Path:
    """A content folder: category files, roadmap.json and synonyms.json (None: a valid one; False: none)."""
    folder.mkdir(parents=True, exist_ok=True)
    if files is None:
        files = {"ecfmg": [entry(steps=list(STEP_SLUGS))]}
    for name, entries in files.items():
        (folder / f"{name}.json").write_text(json.dumps({"schema": 1, "resources": entries}), encoding="utf-8")
    if steps is not False:
        (folder / "roadmap.json").write_text(json.dumps(roadmap() if steps is None else steps), encoding="utf-8")
    if synonyms is not False:
        (folder / "synonyms.json").write_text(json.dumps(
            {"schema": 1, "synonyms": SYNONYMS} if synonyms is None else synonyms), encoding="utf-8")
    return folder


def _answer(text: str) -> str:
    return (text + " " + LONG)[:690]


def _e(rid: str, title: str, answer: str, tags: list[str], aliases: list[str] = (), steps: list[str] = (),  # type: ignore[assignment]
       **more: Any) -> dict[str, Any]:
    return entry(rid, title=title, answer=_answer(answer), tags=tags, aliases=list(aliases), steps=list(steps), **more)


SEARCH_ENTRIES: dict[str, list[dict[str, Any]]] = {
    "ecfmg": [
        _e("ecfmg-certification", "ECFMG certification: how it works",
           "ECFMG certification tells residency programs your medical education and exams meet the standard.",
           ["ecfmg", "certification"], ["ECFMG cert"], ["ecfmg-application", "ecfmg-certificate"]),
        _e("oet-medicine", "OET Medicine for the communication requirement",
           "OET Medicine is the English test ECFMG accepts for its communication requirement.",
           ["oet", "english"], ["OET"], ["oet"]),
    ],
    "usmle": [
        _e("step1-pass-fail", "USMLE Step 1 is pass/fail",
           "Step 1 reports only pass or fail; programs look harder at Step 2 CK.", ["step-1", "usmle"],
           ["Step 1"], ["step1"]),
        _e("step2ck", "USMLE Step 2 CK: clinical knowledge",
           "Step 2 CK tests clinical knowledge and has a three-digit score programs read closely.",
           ["step-2-ck", "usmle"], ["Step 2", "CK2"], ["step2ck"]),
        _e("step3", "USMLE Step 3 and the H-1B visa",
           "Step 3 is the last exam; passing it early matters for an H-1B visa.", ["step-3", "usmle"], [], ["step3"]),
    ],
    "eras": [
        _e("eras-timeline", "ERAS: when applications open",
           "ERAS is the application service residency programs read. The season opens in summer each cycle.",
           ["eras", "application"], ["MyERAS"], ["eras"], cycle="ERAS 2027",
           confirm="Confirm the dates on the AAMC ERAS timeline page.",
           dates=[{"label": "ERAS opens to programs", "on": "2026-09-24"}]),
        _e("program-signals", "Program signals in ERAS", "Signals tell a program you are especially interested.",
           ["eras", "signals"], [], ["signals"]),
    ],
    "match": [
        _e("soap", "SOAP: the Supplemental Offer and Acceptance Program",
           "SOAP is how unmatched applicants are offered unfilled positions during Match Week.", ["match", "soap"],
           ["SOAP"], ["match-soap"]),
        _e("rank-order-list", "Your rank order list",
           "The rank order list is the ordered list of programs you would accept, submitted to the NRMP.",
           ["match", "rank-list"], ["ROL"], ["rank-list"]),
    ],
    "application": [
        _e("letters-of-recommendation", "Letters of recommendation",
           "Letters of recommendation from US clinicians weigh most; ask early and waive your right to see them.",
           ["letters", "application"], ["LoR", "LoRs"], ["letters"]),
        _e("mspe", "The MSPE (dean's letter)",
           "The medical student performance evaluation summarises your school record.", ["application", "mspe"],
           ["MSPE"]),
    ],
    "usce": [
        _e("observership", "Observerships: watching US clinical care",
           "An observership lets you watch US doctors at work; you do not touch patients.", ["usce", "observership"],
           ["observer"], ["usce"]),
        _e("usce-hands-on", "Hands-on US clinical experience",
           "Hands-on US clinical experience, such as an externship, counts most with programs.", ["usce", "externship"],
           ["USCE", "externship"]),
    ],
    "visas": [
        _e("j1-visa", "The J-1 visa through ECFMG sponsorship",
           "Most IMG residents train on a J-1 visa sponsored by ECFMG; the DS-2019 form comes from ECFMG.",
           ["visa", "j-1"], ["DS-2019", "J-1"], ["visa"]),
    ],
}


def search_library(tmp_path: Path) -> Library:
    """The dozen entries above as a checked library (a problem in them fails the test that asked for it)."""
    found = copy.deepcopy(SEARCH_ENTRIES)
    folder = write_library(tmp_path / "library", found, steps=_steps(found))
    library, problems = check_folder(folder, bundled=True)
    assert problems == [], problems
    return library


def _steps(files: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    owner = {s: e["id"] for entries in files.values() for e in entries for s in e["steps"]}
    fallback = "ecfmg-certification"
    for entries in files.values():
        for e in entries:
            if e["id"] == fallback:
                e["steps"] = sorted(set(e["steps"]) | {s for s in STEP_SLUGS if s not in owner},
                                    key=STEP_SLUGS.index)
    return {"schema": 1, "steps": [{"slug": s, "title": s.replace("-", " ").title(), "resource": owner.get(s, fallback)}
                                   for s in STEP_SLUGS]}


async def library_services(database: str, clock: Any, tmp_path: Path) -> Any:
    """Services on the test's database serving the dozen entries above instead of the bundled library."""
    from core.bootstrap import build
    from core.settings import Settings

    return await build(Settings(db_path=database), clock=clock, library=search_library(tmp_path))


def ids(found: Any) -> list[str]:
    return [hit.resource.id for hit in found.hits]
