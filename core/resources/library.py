"""The bundled resource library: `content/resources/*.json`, its roadmap and its synonyms, read and checked.

Every entry is checked against the rules of the content format (docs in /work/spec13.md, summed up in `check_entry`)
and every problem is reported with its file and entry id, so an author fixes a folder in one pass. A broken bundled
file is a bug in Rounds: `load_bundled` refuses to start with every problem listed. The same rules (less the host
allowlist) serve any other folder a test or a tool checks.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import urlsplit

from core.questions.model import Problem
from core.resources.model import KeyDate, Resource, Source, Step

log = logging.getLogger(__name__)

SCHEMA = 1
ROADMAP_FILE = "roadmap.json"
SYNONYMS_FILE = "synonyms.json"
SPECIAL = (ROADMAP_FILE, SYNONYMS_FILE)
STEP_SLUGS = ("ecfmg-application", "step1", "step2ck", "oet", "ecfmg-certificate", "usce", "letters",
              "personal-statement", "eras", "signals", "interviews", "rank-list", "match-soap", "visa", "step3")
ID_PATTERN = re.compile(r"^[a-z0-9-]{3,64}$")
COMMUNITY_ID = re.compile(r"^c[0-9]+$")  # what a community's approved entry is called: never a bundled id
SLUG = re.compile(r"^[a-z0-9-]+$")
TITLE = (5, 90)
ANSWER = (120, 700)
TAGS = (1, 8)
ALIASES = 10
ALIAS_LENGTH = 80
SHORT_TEXT = 200  # a source's title, a cycle, a confirm note, a date's label
URL_LIMIT = 300
NOT_IN_URLS = frozenset('<>|"\'`{}\\^')
ALLOWED_HOSTS = ("ecfmg.org", "intealth.org", "usmle.org", "nbme.org", "fsmb.org", "nrmp.org", "aamc.org", "acgme.org",
                 "ama-assn.org", "state.gov", "uscis.gov", "dol.gov", "hhs.gov", "wdoms.org", "faimer.org", "oet.com",
                 "occupationalenglishtest.org", "nih.gov", "cdc.gov", "ahrq.gov", "acponline.org", "aafp.org", "aap.org",
                 "psychiatry.org", "facs.org", "acog.org", "988lifeline.org", "samhsa.gov")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
          "December")
# A fact that changes each cycle: a 4-digit year (not a form's number: DS-2019), a month, an amount of dollars, a
# deadline or a fee.
DATE_LIKE = re.compile(r"(?<![\w-])(?:19|20)\d{2}\b|\b(?:" + "|".join(MONTHS) + r")\b|\$\s?\d|(?i:\bdeadlines?\b|\bfees?\b)")
ENTRY_FIELDS = frozenset({"id", "title", "answer", "sources", "tags", "aliases", "steps", "cycle", "confirm", "dates"})


class LibraryError(ValueError):
    """The bundled library cannot be used: the message lists every problem, one a line."""


@dataclass(frozen=True)
class Library:
    """What the content folder holds: entries in file then entry order, the roadmap's steps, and the synonyms
    (a lowercase term people type → phrases the entries use)."""

    resources: tuple[Resource, ...] = ()
    steps: tuple[Step, ...] = ()
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, resource_id: str) -> Resource | None:
        return next((r for r in self.resources if r.id == resource_id), None)


def bundled_folder() -> Traversable:
    import content  # content is package data; imported late so nothing is read at import time

    return content.root() / "resources"


def load_bundled(folder: Traversable | None = None) -> Library:
    """The bundled library, or LibraryError listing every problem. A missing folder is an empty library (a checkout
    made before the library was written), said in the log (at info: it is no fault of the person starting it)."""
    folder = folder or bundled_folder()
    if not folder.is_dir():
        log.info("no resource library at %s: /resource finds nothing and /roadmap has no steps", folder)
        return Library()
    library, problems = check_folder(folder, bundled=True)
    if problems:
        raise LibraryError(f"the bundled resource library is invalid ({len(problems)} problems); fix "
                           f"content/resources and start again:\n" + "\n".join(map(str, problems)))
    return library


def check_folder(folder: Traversable, *, bundled: bool) -> tuple[Library, list[Problem]]:
    """Every entry, step and synonym of a folder, and every problem found (the library holds what was valid)."""
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json") and f.name not in SPECIAL),
                   key=lambda f: f.name)
    resources: list[Resource] = []
    problems: list[Problem] = []
    for file in files:
        found, wrong = parse_file(file.name, _read(file), bundled=bundled)
        resources += found
        problems += wrong
    problems += _duplicates(resources)
    steps: tuple[Step, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = {}
    roadmap, synonyms_file = folder / ROADMAP_FILE, folder / SYNONYMS_FILE
    if roadmap.is_file():
        steps, wrong = parse_roadmap(_read(roadmap), resources)
        problems += wrong
    else:
        problems.append(Problem(ROADMAP_FILE, "missing: the roadmap's steps are read from it"))
    if synonyms_file.is_file():
        synonyms, wrong = parse_synonyms(_read(synonyms_file))
        problems += wrong
    else:
        problems.append(Problem(SYNONYMS_FILE, "missing: abbreviations are expanded from it"))
    return Library(tuple(resources), steps, synonyms), problems


def _read(file: Traversable) -> Any:
    """The file's JSON, or a Problem saying why it cannot be read."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return Problem(file.name, "not UTF-8 text: save the file as UTF-8")
    except json.JSONDecodeError as error:
        return Problem(f"{file.name}, line {error.lineno}, column {error.colno}", f"not valid JSON: {error.msg}")
    except OSError as error:
        return Problem(file.name, f"cannot read the file ({error.strerror or error})")


def parse_file(name: str, doc: Any, *, bundled: bool) -> tuple[list[Resource], list[Problem]]:
    """The entries of one category file (`usmle.json` → category 'usmle'); an entry with a problem is left out."""
    if isinstance(doc, Problem):
        return [], [doc]
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("resources"), list):
        return [], [Problem(name, f'expected {{"schema": {SCHEMA}, "resources": [...]}}')]
    unknown = sorted(set(doc) - {"schema", "resources"})
    problems = [Problem(name, f"unknown field {unknown[0]!r} at the top level")] if unknown else []
    category = name.removesuffix(".json")
    resources: list[Resource] = []
    for index, data in enumerate(doc["resources"], 1):
        rid = data.get("id") if isinstance(data, dict) else None
        where = f"{name}, entry {index} ({rid if isinstance(rid, str) else '?'})"
        wrong = check_entry(data, bundled=bundled)
        problems += [Problem(f"{where}, field {f}", message) for f, message in wrong]
        if not wrong:
            resources.append(_resource(data, category))
    return resources, problems


def check_entry(data: Any, *, bundled: bool) -> list[tuple[str, str]]:
    """(field, message) for every rule one entry breaks: types and lengths, the id's form, https sources (on the
    official allowlist when bundled), tag slugs, a cycle and a confirm note on every date-like answer, dates only
    with a cycle."""
    if not isinstance(data, dict):
        return [("entry", "must be an object")]
    problems: list[tuple[str, str]] = [(f, "unknown field") for f in sorted(set(data) - ENTRY_FIELDS)]
    rid = data.get("id")
    if not isinstance(rid, str) or not ID_PATTERN.match(rid):
        problems.append(("id", "must be 3–64 characters of a-z, 0-9 and '-', like 'ecfmg-certification'"))
    elif COMMUNITY_ID.match(rid):
        problems.append(("id", f"{rid!r} is the form of a community's entry (c<number>): choose another"))
    problems += _text("title", data.get("title"), *TITLE)
    problems += _text("answer", data.get("answer"), *ANSWER)
    problems += _sources(data.get("sources"), bundled=bundled)
    problems += _list("tags", data.get("tags"), *TAGS, lambda t: bool(SLUG.match(t)), "lowercase slugs like 'step-1'")
    problems += _list("aliases", data.get("aliases", []), 0, ALIASES, lambda a: 0 < len(a.strip()) <= ALIAS_LENGTH,
                      f"names of 1–{ALIAS_LENGTH} characters")
    problems += _list("steps", data.get("steps", []), 0, len(STEP_SLUGS), lambda s: s in STEP_SLUGS,
                      "roadmap step slugs: " + ", ".join(STEP_SLUGS))
    problems += _cycle(data)
    return problems


def _text(name: str, value: Any, lo: int, hi: int) -> list[tuple[str, str]]:
    if not isinstance(value, str) or not value.strip():
        return [(name, "missing or empty")]
    if not lo <= len(value) <= hi:
        return [(name, f"{len(value)} characters, must be {lo}–{hi}")]
    return []


def _list(name: str, value: Any, lo: int, hi: int, good: Any, what: str) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return [(name, f"must be a list of {what}")]
    if not lo <= len(value) <= hi:
        return [(name, f"{len(value)} items, must be {lo}–{hi}")]
    bad = [v for v in value if not good(v)]
    if bad:
        return [(name, f"{bad[0]!r} is not one of the {what}")]
    if len({v.casefold() for v in value}) != len(value):
        return [(name, "lists the same item twice")]
    return []


def _sources(value: Any, *, bundled: bool) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not value:
        return [("sources", 'must list at least one {"title": …, "url": "https://…"}')]
    problems: list[tuple[str, str]] = []
    for index, source in enumerate(value, 1):
        where = f"sources.{index}"
        if not isinstance(source, dict) or set(source) != {"title", "url"}:
            problems.append((where, 'must be {"title": …, "url": "https://…"}'))
            continue
        problems += _text(f"{where}.title", source["title"], 1, SHORT_TEXT)
        problem = url_problem(source["url"], bundled=bundled)
        if problem:
            problems.append((f"{where}.url", problem))
    return problems


def url_problem(url: Any, *, bundled: bool) -> str | None:
    """Why a source URL cannot be shown (None: it can): https, a host, no spaces or markup characters, and for a
    bundled entry a host on the official allowlist (or a subdomain of one)."""
    if not isinstance(url, str) or not url:
        return "missing"
    if len(url) > URL_LIMIT:
        return f"{len(url)} characters, must be at most {URL_LIMIT}"
    if any(c.isspace() or c in NOT_IN_URLS or not c.isprintable() for c in url):
        return "must not contain spaces, quotes or markup characters like < > |"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return "not a web address"
    if parts.scheme != "https" or not host or "." not in host:
        return "must be an https:// address with a host, like https://www.ecfmg.org/certification/"
    if parts.username is not None or parts.password is not None:
        return "must not have a user name before '@' (it hides where the link goes)"
    if bundled and not official(host):
        return f"{host} is not on the official allowlist ({', '.join(ALLOWED_HOSTS)})"
    return None


def official(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == allowed or host.endswith("." + allowed) for allowed in ALLOWED_HOSTS)


def _cycle(data: dict[str, Any]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    cycle, confirm, dates = data.get("cycle"), data.get("confirm"), data.get("dates", [])
    for name, value in (("cycle", cycle), ("confirm", confirm)):
        if value is not None:
            problems += _text(name, value, 3, SHORT_TEXT)
    answer = data.get("answer")
    said = DATE_LIKE.search(answer) if isinstance(answer, str) else None
    if said and cycle is None:
        problems.append(("cycle", f"the answer states {said.group(0)!r}, which changes each cycle: say which cycle it "
                                  'is for, like "ERAS 2027", and add a confirm note'))
    if cycle is not None and confirm is None:
        problems.append(("confirm", "required with a cycle: one sentence saying which official page to confirm it on"))
    if not isinstance(dates, list):
        return [*problems, ("dates", 'must be a list of {"label": …, "on": "YYYY-MM-DD"}')]
    if dates and cycle is None:
        problems.append(("dates", "only with a cycle: dates belong to one cycle"))
    for index, item in enumerate(dates, 1):
        if not isinstance(item, dict) or set(item) != {"label", "on"} or _day(item.get("on")) is None:
            problems.append((f"dates.{index}", 'must be {"label": …, "on": "YYYY-MM-DD"} with a real date'))
        else:
            problems += _text(f"dates.{index}.label", item["label"], 1, SHORT_TEXT)
    return problems


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _resource(data: dict[str, Any], category: str) -> Resource:
    return Resource(
        id=data["id"], title=data["title"].strip(), answer=data["answer"].strip(),
        sources=tuple(Source(s["title"], s["url"]) for s in data["sources"]), category=category,
        tags=tuple(data["tags"]), aliases=tuple(a.strip() for a in data.get("aliases", [])),
        steps=tuple(data.get("steps", [])), cycle=data.get("cycle"), confirm=data.get("confirm"),
        dates=tuple(KeyDate(d["label"], date.fromisoformat(d["on"])) for d in data.get("dates", [])))


def _duplicates(resources: Iterable[Resource]) -> list[Problem]:
    """An id, or an alias (case-insensitive), claimed by two entries."""
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for resource in resources:
        where = f"{resource.category}.json ({resource.id})"
        if resource.id in ids:
            problems.append(Problem(f"{where}, field id", f"duplicate id (also in {ids[resource.id]})"))
        ids.setdefault(resource.id, f"{resource.category}.json")
        for alias in resource.aliases:
            key = alias.casefold()
            if key in aliases and aliases[key] != resource.id:
                problems.append(Problem(f"{where}, field aliases", f"alias {alias!r} is claimed by {aliases[key]} too: "
                                                                   "an alias belongs to one entry"))
            aliases.setdefault(key, resource.id)
    return problems


def parse_roadmap(doc: Any, resources: Iterable[Resource]) -> tuple[tuple[Step, ...], list[Problem]]:
    """The steps, all of STEP_SLUGS in that order, each pointing to an entry that lists it in its `steps`."""
    if isinstance(doc, Problem):
        return (), [doc]
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("steps"), list):
        return (), [Problem(ROADMAP_FILE, f'expected {{"schema": {SCHEMA}, "steps": [...]}}')]
    by_id = {r.id: r for r in resources}
    steps: list[Step] = []
    problems: list[Problem] = []
    for index, item in enumerate(doc["steps"], 1):
        where = f"{ROADMAP_FILE}, step {index}"
        if not isinstance(item, dict) or set(item) != {"slug", "title", "resource"} \
                or not all(isinstance(v, str) for v in item.values()):
            problems.append(Problem(where, 'must be {"slug": …, "title": …, "resource": …}'))
            continue
        step = Step(item["slug"], item["title"].strip(), item["resource"])
        where = f"{ROADMAP_FILE}, step {index} ({step.slug})"
        problems += [Problem(f"{where}, field title", m) for _, m in _text("title", step.title, 3, 60)]
        if step.resource not in by_id:
            problems.append(Problem(f"{where}, field resource", f"{step.resource!r} is not an entry of the library"))
        elif step.slug not in by_id[step.resource].steps:
            problems.append(Problem(f"{where}, field resource",
                                    f"{step.resource} does not list {step.slug!r} in its steps"))
        steps.append(step)
    slugs = tuple(s.slug for s in steps)
    if slugs != STEP_SLUGS:
        problems.append(Problem(ROADMAP_FILE, f"the steps must be, in this order: {', '.join(STEP_SLUGS)} "
                                              f"(found {', '.join(slugs) or 'none'})"))
    return tuple(steps), problems


def parse_synonyms(doc: Any) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """Lowercase terms, each mapped to the non-empty list of phrases it stands for."""
    if isinstance(doc, Problem):
        return {}, [doc]
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("synonyms"), dict):
        return {}, [Problem(SYNONYMS_FILE, f'expected {{"schema": {SCHEMA}, "synonyms": {{"term": ["phrase", …]}}}}')]
    found: dict[str, tuple[str, ...]] = {}
    problems: list[Problem] = []
    for key, phrases in doc["synonyms"].items():
        where = f"{SYNONYMS_FILE}, synonym {key!r}"
        if key != key.strip().lower() or not key:
            problems.append(Problem(where, "the term must be lowercase, with no spaces around it"))
        elif not isinstance(phrases, list) or not phrases or \
                not all(isinstance(p, str) and 0 < len(p.strip()) <= ALIAS_LENGTH for p in phrases):
            problems.append(Problem(where, f"must map to a list of phrases of 1–{ALIAS_LENGTH} characters"))
        else:
            found[key] = tuple(p.strip().lower() for p in phrases)
    return found, problems
