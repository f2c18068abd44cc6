"""`rounds`: the one entry point — console, discord, slack, content and database tools."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bots.logs import configure
from core.errors import SettingsError
from core.settings import Settings
from core.storage.database import StorageError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure(Settings.from_env().log_level)
    if not hasattr(args, "run"):
        getattr(args, "help_of", parser).print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (StorageError, SettingsError) as error:  # every start-up failure is one line and a non-zero exit, never a hang
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rounds", description="Rounds: a study-group bot for IMGs on the road to US residency.")
    parser.add_argument("--version", action="version", version=f"rounds {_version()}")
    sub = parser.add_subparsers(metavar="COMMAND")

    console = sub.add_parser("console", help="run the bot in this terminal (no token needed)")
    console.add_argument("--user", default="you", help="your name at the console")
    console.add_argument("--community", default="default", help="the community you act in")
    console.add_argument("--admin", action="store_true", help="act as a community admin")
    console.add_argument("--at", metavar="INSTANT", help="start the clock at INSTANT, e.g. 2026-03-08T06:30:00Z")
    console.set_defaults(run=_console)

    _content_parser(sub)
    _db_parser(sub)

    discord = sub.add_parser("discord", help="run the Discord bot (env DISCORD_TOKEN)")
    discord.set_defaults(run=lambda args: _platform("bots.discord.main", args))
    slack = sub.add_parser("slack", help="run the Slack bot (Socket Mode, or --http)")
    slack.add_argument("--http", action="store_true", help="serve HTTP events at /slack/events instead of Socket Mode")
    slack.add_argument("--port", type=int, default=3000)
    slack.add_argument("action", nargs="?", choices=["manifest"], help="'manifest' prints the Slack app manifest")
    slack.set_defaults(run=lambda args: _platform("bots.slack.main", args))
    return parser


def _content_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parent = sub.add_parser("content", help="check, import, list, remove or export a community's own questions; bank stats")
    parent.set_defaults(help_of=parent)  # `rounds content` alone shows these actions, not the top-level help
    content = parent.add_subparsers(metavar="ACTION")
    community = "a community id: discord:<server id>, slack:<team id> (T…), or console:NAME (a bare NAME means that)"
    check = content.add_parser("check", help="validate a question file (JSON, CSV or Anki .apkg) and list every problem")
    check.add_argument("file", type=Path)
    check.set_defaults(run=_content_check)
    load = content.add_parser("import", help="add a question file to a community's bank (all or nothing)")
    load.add_argument("file", type=Path)
    load.add_argument("--community", required=True, help=community)
    load.set_defaults(run=_content_import)
    listing = content.add_parser("list", help="list a community's own imported questions")
    listing.add_argument("--community", required=True, help=community)
    listing.set_defaults(run=_content_list)
    remove = content.add_parser("remove", help="remove a community's own questions by id (all or nothing)")
    remove.add_argument("ids", nargs="+", metavar="ID", help="question ids as `content list` shows them")
    remove.add_argument("--community", required=True, help=community)
    remove.set_defaults(run=_content_remove)
    export = content.add_parser("export", help="write a community's own questions to JSON, CSV or an Anki package")
    export.add_argument("--community", required=True, help=community)
    export.add_argument("--output", required=True, type=Path, metavar="FILE", help="the file to write")
    export.add_argument("--format", choices=["json", "csv", "apkg"], help="default: from FILE's extension")
    export.add_argument("--include-bundled", action="store_true", help="add the bundled questions after the community's")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(run=_content_export)
    stats = content.add_parser("stats", help="counts per step, system, discipline and competency, the answer letters "
                               "and the longest-option share, beside the outline's target proportions")
    stats.add_argument("files", nargs="*", type=Path, metavar="FILE", help="question files (default: the bundled bank)")
    stats.add_argument("--step", help="only this step's questions: step1, step2ck or step3")
    stats.set_defaults(run=_content_stats)


def _db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parent = sub.add_parser("db", help="migrate the database, move a community, forget a member")
    parent.set_defaults(help_of=parent)
    db = parent.add_subparsers(metavar="ACTION")
    db.add_parser("migrate", help="apply the migrations (DATABASE_URL, else ROUNDS_DB)").set_defaults(run=_db_migrate)
    export = db.add_parser("export", help="write everything stored for one community as JSON to stdout")
    export.add_argument("--community", required=True, help="a community id: discord:<server id>, slack:<team id> "
                        "or console:NAME")
    export.set_defaults(run=_db_export)
    load = db.add_parser("import", help="load a community export into this database (all or nothing)")
    load.add_argument("file", type=Path)
    load.set_defaults(run=_db_import)
    forget = db.add_parser("forget-member", help="erase what Rounds keeps about a member (their posts keep the counts)")
    forget.add_argument("member", metavar="ID", help="a member id: discord:<user id>, slack:<user id>, console:NAME")
    forget.set_defaults(run=_db_forget)


def _db_migrate(args: argparse.Namespace) -> int:
    from bots.db_tools import migrate

    return asyncio.run(migrate())


def _db_export(args: argparse.Namespace) -> int:
    from bots.db_tools import export

    return asyncio.run(export(args.community))


def _db_import(args: argparse.Namespace) -> int:
    from bots.db_tools import load

    return asyncio.run(load(args.file))


def _db_forget(args: argparse.Namespace) -> int:
    from bots.db_tools import forget

    return asyncio.run(forget(args.member))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rounds")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _console(args: argparse.Namespace) -> int:
    from bots.console.run import run_console
    from core.clock import instant

    at = instant("--at", args.at) if args.at is not None else None  # refused before anything opens
    return asyncio.run(run_console(args.user, args.community, args.admin, at=at))


def _content_check(args: argparse.Namespace) -> int:
    from bots.content_tools import check_file

    return check_file(args.file)


def _content_import(args: argparse.Namespace) -> int:
    from bots.content_tools import import_file

    return asyncio.run(import_file(args.file, args.community))


def _content_list(args: argparse.Namespace) -> int:
    from bots.content_tools import list_questions

    return asyncio.run(list_questions(args.community))


def _content_remove(args: argparse.Namespace) -> int:
    from bots.content_tools import remove_questions

    return asyncio.run(remove_questions(args.ids, args.community))


def _content_export(args: argparse.Namespace) -> int:
    from bots.content_tools import export_bank

    return asyncio.run(export_bank(args.community, args.output, args.format, include_bundled=args.include_bundled,
                                   force=args.force))


def _content_stats(args: argparse.Namespace) -> int:
    from bots.content_tools import show_stats

    return show_stats(args.files, args.step)


def _platform(module: str, args: argparse.Namespace) -> int:
    import importlib

    return int(importlib.import_module(module).run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
