"""`rounds content check|import`: a community's own question file, validated line by line, imported whole."""

from __future__ import annotations

import sys
from pathlib import Path

from core.bootstrap import build
from core.questions.model import parse_file
from core.questions.taxonomy import load_taxonomy
from core.settings import Settings


def check_file(path: Path) -> int:
    questions, problems = parse_file(path, load_taxonomy())
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found; nothing imported.", file=sys.stderr)
        return 1
    print(f"{path}: {len(questions)} questions, all valid.")
    return 0


async def import_file(path: Path, community: str) -> int:
    questions, problems = parse_file(path, load_taxonomy())
    if problems:
        return check_file(path)
    community_id = community if ":" in community else f"console:{community}"
    services = await build(Settings.from_env())
    try:
        await services.communities.get(community_id)
        count = await services.bank.import_questions(questions, community_id)
    finally:
        await services.close()
    print(f"Imported {count} questions into {community_id}'s bank.")
    return 0
