"""`rounds content check|import|list|remove|export|stats`: a community's own questions, validated line by line (or
note by note, from an Anki package), imported whole, listed, removed all or nothing, and exported to JSON, CSV or
Anki; and what a bank holds beside the content outline's targets.

The community id is typed by hand, so it is held to the form the adapters build (`discord:<server id>`,
`slack:<team id>`, `console:<name>`): a mistyped id would otherwise file questions under a community no bot serves.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path

from core.bootstrap import Services, build
from core.errors import UserError
from core.questions.bank import load_bundled
from core.questions.export import format_of, render, write_export
from core.questions.model import LETTERS, Problem, Question, parse_file
from core.questions.stats import BankStats, StepOutline, TargetRow, compute
from core.questions.taxonomy import Taxonomy, load_taxonomy
from core.settings import Settings
from core.text import closest

FORMS = {  # platform → (what its id looks like, an example), as the adapters namespace them
    "discord": (re.compile(r"[0-9]{1,20}"), "a Discord server id is its digits", "discord:123456789012345678"),
    "slack": (re.compile(r"[TE][A-Z0-9]{2,31}"), "a Slack team id starts with T (or E) in capitals", "slack:T0123ABCD"),
    "console": (re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}"), "a console community is a plain name", "console:study-group"),
}
STEM_WORDS = 60  # characters of the stem `content list` shows


def community_id(typed: str) -> str:
    """The namespaced id a typed one names (a bare name is a console community), or a UserError saying the form."""
    text = typed.strip()
    if not text:
        raise UserError("--community is empty: give a community id like discord:123456789012345678, slack:T0123ABCD "
                        "or console:study-group.")
    platform, colon, raw = text.partition(":") if ":" in text else ("console", ":", text)
    if platform not in FORMS:
        close = closest(platform.lower(), FORMS, n=1)
        hint = f"Did you mean {close[0]}:{raw}? " if close else ""
        raise UserError(f"{text} is not a community id: {platform!r} is not a platform Rounds serves. {hint}"
                        f"Use discord:<server id>, slack:<team id> or console:<name>.")
    pattern, rule, example = FORMS[platform]
    if not pattern.fullmatch(raw) or (platform == "discord" and int(raw) >= 2**64):
        raise UserError(f"{text} is not a {platform} community id: {rule}, e.g. {example}.")
    return f"{platform}{colon}{raw}"


def check_file(path: Path) -> int:
    questions, problems = _parse(path)
    if problems:
        return _report(path, problems, f"fix {_them(problems)} and run `rounds content check {path}` again.")
    print(f"{path}: {_count(len(questions), 'question')}, all valid.")
    return 0


def show_stats(paths: list[Path], step: str | None) -> int:
    """The bundled bank's figures, or those of question files (e.g. a community's, before importing it)."""
    taxonomy = load_taxonomy()
    if step is not None and step not in taxonomy.steps:
        print(f"--step {step!r} is not a step: use one of {', '.join(taxonomy.steps)}.", file=sys.stderr)
        return 2
    questions: list[Question] = [] if paths else load_bundled(taxonomy)
    for path in paths:
        found, problems = _parse(path)
        if problems:
            return _report(path, problems, f"fix {_them(problems)} and run `rounds content stats` again.")
        questions += found
    what = ", ".join(map(str, paths)) if paths else "the bundled bank"
    for line in stats_lines(compute(questions, taxonomy, step), taxonomy, what):
        print(line)
    return 0


def stats_lines(stats: BankStats, taxonomy: Taxonomy, what: str) -> list[str]:
    if not stats.total:
        return [f"{what}: no questions" + (" for that step." if stats.steps else ".")]
    steps = ", ".join(f"{taxonomy.steps.get(s, s)} {n}" for s, n in stats.steps.items())
    lines = [f"{what}: {_count(stats.total, 'question')} ({steps})", "",
             "Answer letters: " + "  ".join(f"{x} {stats.letters[x]} ({_pct(stats.letters[x], stats.total)})"
                                            for x in LETTERS),
             f"Key is the longest option: {stats.longest_is_key} of {stats.total} ({stats.longest_share:.0%}; about "
             "20% by chance, the content test allows 25%)"]
    for title, counts in (("Competencies", stats.competencies), ("Disciplines (a question carries 1-3)",
                                                                  stats.disciplines), ("Systems", stats.systems)):
        lines += ["", title] + [f"  {slug:<28} {n:>4}  {_pct(n, stats.total):>4}" for slug, n in counts.items()]
    for outline in stats.outlines:
        lines += ["", *_outline_lines(outline, taxonomy)]
    return lines


def _outline_lines(step: StepOutline, taxonomy: Taxonomy) -> list[str]:
    name = taxonomy.steps.get(step.step, step.step)
    lines = [f"{name}: {_count(step.total, 'question')} by the outline's systems, beside its target ranges",
             *_wrapped(f"source: {step.outline.source}; edition: {step.outline.edition}"),
             *_wrapped(f"note: {step.outline.note}"),
             f"  {'outline system':<62} {'count':>5} {'share':>5}  {'target':<8} verdict"]
    lines += [_row_line(row) for row in step.rows]
    lines += [f"  {'(no target row) ' + slug:<62} {n:>5} {_pct(n, step.total):>5}" for slug, n in step.untargeted.items()]
    return lines


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(text, 116, initial_indent="  ", subsequent_indent="    ")


def _row_line(row: TargetRow) -> str:
    label = textwrap.shorten(row.label, 62, placeholder="…")
    target = f"{row.low:g}-{row.high:g}%"
    verdict = row.verdict if row.systems else "(no slug of ours)"
    return f"  {label:<62} {row.count:>5} {100 * row.share:>4.0f}%  {target:<8} {verdict}"


def _pct(n: int, total: int) -> str:
    return f"{n / total:.0%}" if total else "-"


async def import_file(path: Path, community: str) -> int:
    return await _with_community(community, lambda services, cid: _import(services, path, cid))


async def list_questions(community: str) -> int:
    return await _with_community(community, _list)


async def remove_questions(ids: list[str], community: str) -> int:
    return await _with_community(community, lambda services, cid: _remove(services, ids, cid))


async def export_bank(community: str, output: Path, fmt: str | None, *, include_bundled: bool, force: bool) -> int:
    try:
        chosen = format_of(output, fmt)  # refused before anything is opened, like a mistyped community
    except UserError as error:
        print(error, file=sys.stderr)
        return 2
    return await _with_community(community, lambda services, cid: _export(services, cid, output, chosen,
                                                                          include_bundled, force))


async def _with_community(typed: str, action: Callable[[Services, str], Awaitable[int]]) -> int:
    """The community checked before anything is opened; a refused request is one line on stderr and writes nothing."""
    try:
        cid = community_id(typed)
    except UserError as error:
        print(error, file=sys.stderr)
        return 2
    services = await build(Settings.from_env())
    try:
        return int(await action(services, cid))
    except UserError as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        await services.close()


async def _import(services: Services, path: Path, cid: str) -> int:
    questions, problems = _parse(path)
    if problems:
        return _report(path, problems, f"nothing was imported: fix {_them(problems)} and import the file again.")
    if not await services.communities.exists(cid):
        print(f"Warning: {cid} has never been seen in this database (nobody has used the bot there yet). Importing "
              "anyway; if that is not what you expect, check the id.", file=sys.stderr)
    done = await services.bank.import_questions(questions, cid)
    print(f"Imported {path} into {cid}'s bank: {done.added} added, {done.updated} updated, {done.unchanged} unchanged.")
    return 0


async def _list(services: Services, cid: str) -> int:
    questions = await services.bank.own(cid)
    if not questions:
        print(f"{cid} has no questions of its own. Add some with `rounds content import FILE --community {cid}`.")
        return 0
    for question in questions:
        print(_line(question, cid))
    print(f"{cid} has {_count(len(questions), 'question')} of its own.")
    return 0


async def _remove(services: Services, ids: list[str], cid: str) -> int:
    removed = await services.bank.remove(ids, cid)
    if removed.deleted:
        print(f"Removed {_count(len(removed.deleted), 'question')}: {', '.join(_short(q, cid) for q in removed.deleted)}.")
    if removed.retired:
        print(f"Retired {_count(len(removed.retired), 'question')} a daily post already showed (kept for that post's "
              f"answers and history, never picked again): {', '.join(_short(q, cid) for q in removed.retired)}.")
    return 0


async def _export(services: Services, cid: str, output: Path, fmt: str, include_bundled: bool, force: bool) -> int:
    own = len(await services.bank.own(cid))
    questions = await services.bank.for_export(cid, include_bundled=include_bundled)
    if not questions:
        print(f"{cid} has no questions of its own to export. Add --include-bundled to export the bundled ones, or "
              f"import some first with `rounds content import FILE --community {cid}`.", file=sys.stderr)
        return 1
    write_export(output, render(questions, fmt, cid, services.clock.now().timestamp()), overwrite=force)
    extra = f" and {_count(len(questions) - own, 'bundled question')}" if include_bundled else ""
    print(f"Exported {_count(own, 'question')} of {cid}'s own{extra} to {output} ({fmt}).")
    return 0


def _parse(path: Path) -> tuple[list[Question], list[Problem]]:
    taxonomy = load_taxonomy()
    return parse_file(path, taxonomy, load_bundled(taxonomy))


def _report(path: Path, problems: list[Problem], next_step: str) -> int:
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    print(f"{_count(len(problems), 'problem')} found; {next_step}", file=sys.stderr)
    return 1


def _line(question: Question, cid: str) -> str:
    stem = textwrap.shorten(question.stem, STEM_WORDS, placeholder=" …")
    return f"{_short(question.id, cid)}  {question.step}  {question.system}  {stem}"


def _short(question_id: str, cid: str) -> str:
    """The id as the community's file has it; `content remove` takes it like this or with the community prefix."""
    return question_id.removeprefix(f"{cid}/")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _them(problems: list[Problem]) -> str:
    return "it" if len(problems) == 1 else "them"
