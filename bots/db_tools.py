"""`rounds db migrate|export|import|forget-member`: the database itself, whichever one is configured (DATABASE_URL,
else the SQLite file ROUNDS_DB).

A refusal is one line on stderr and exit 2, with nothing written: the file is checked whole before any database is
opened, and the import runs in one transaction.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from bots.content_tools import FORMS, community_id
from core.bootstrap import build
from core.errors import UserError
from core.settings import Settings
from core.storage.database import Database
from core.storage.migrations import MIGRATIONS
from core.storage.transfer import dumps, export_community, forget_member, import_community, read_export

T = TypeVar("T")


async def migrate() -> int:
    db = await Database(Settings.from_env().db_path).open()
    try:
        print(f"{db.path} is at schema version {len(MIGRATIONS)}, the latest this Rounds knows.")
    finally:
        await db.close()
    return 0


async def export(typed: str) -> int:
    async def run() -> int:
        cid = community_id(typed)
        db = await Database(Settings.from_env().db_path).open()
        try:
            document = await export_community(db, cid)
            if document is None:
                raise UserError(f"{cid} is not in the database at {db.path}: nothing to export. Check the id "
                                "(`rounds content list --community ID` uses the same form).")
        finally:
            await db.close()
        sys.stdout.write(dumps(document))
        return 0
    return await _refusing(run)


async def load(path: Path) -> int:
    async def run() -> int:
        document = read_export(path)
        typed = document["community"]["id"]
        if community_id(typed) != typed:
            raise UserError(f"{path}: community.id {typed!r} is not a community id in full (discord:…, slack:… or "
                            "console:…): nothing was imported.")
        services = await build(Settings.from_env())  # the bundled bank is in the target first: posts may show it
        try:
            done = await import_community(services.db, document)
            where = services.db.path
        finally:
            await services.close()
        print(f"Imported {done.community_id} into {where}: {_count(done.posts, 'post')}, {_count(done.answers, 'answer')}, "
              f"{_count(done.questions, 'own question')}, {_count(done.reports, 'report')}, "
              f"{_count(done.members, 'new member')}, {_count(done.activity, 'activity record')}. Its next daily post is planned when a bot serving it starts.")
        return 0
    return await _refusing(run)


async def forget(member_id: str) -> int:
    async def run() -> int:
        platform, colon, raw = member_id.strip().partition(":")
        if not colon or platform not in FORMS or not raw:
            raise UserError(f"{member_id!r} is not a member id: use discord:<user id>, slack:<user id> or "
                            "console:<name>, as `/privacy export` shows it.")
        db = await Database(Settings.from_env().db_path).open()
        try:
            done = await forget_member(db, member_id.strip())
        finally:
            await db.close()
        if not done.anything:
            print(f"Rounds keeps nothing about {member_id.strip()}: nothing to erase.")
        else:
            print(f"Forgot {member_id.strip()}: {_count(done.answers, 'answer')} anonymised (their posts keep the "
                  f"counts), {_count(done.reports, 'report')}, {_count(done.activity, 'activity record')} and "
                  f"{_count(done.sessions, 'study-session record')} deleted with their streaks, member row {'deleted' if done.member else 'absent'}.")
        return 0
    return await _refusing(run)


async def _refusing(run: Callable[[], Awaitable[int]]) -> int:
    try:
        return await run()
    except UserError as error:
        print(error, file=sys.stderr)
        return 2


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
