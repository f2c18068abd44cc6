"""`rounds`: the one entry point — console, discord, slack, and content tools."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bots.logs import configure
from core.settings import Settings
from core.storage.database import StorageError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    configure(Settings.from_env().log_level)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except StorageError as error:  # every start-up failure is one line and a non-zero exit, never a hang
        print(error, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rounds", description="Rounds: a study-group bot for IMGs on the road to US residency.")
    sub = parser.add_subparsers(metavar="COMMAND")

    console = sub.add_parser("console", help="run the bot in this terminal (no token needed)")
    console.add_argument("--user", default="you", help="your name at the console")
    console.add_argument("--community", default="default", help="the community you act in")
    console.add_argument("--admin", action="store_true", help="act as a community admin")
    console.set_defaults(run=_console)

    content = sub.add_parser("content", help="check or import a community's own questions").add_subparsers(metavar="ACTION")
    check = content.add_parser("check", help="validate a question file (JSON or CSV) and list every problem")
    check.add_argument("file", type=Path)
    check.set_defaults(run=_content_check)
    load = content.add_parser("import", help="add a question file to a community's bank (all or nothing)")
    load.add_argument("file", type=Path)
    load.add_argument("--community", required=True, help="a community id like discord:1234 or slack:T0123; a bare name means console:NAME")
    load.set_defaults(run=_content_import)

    discord = sub.add_parser("discord", help="run the Discord bot (env DISCORD_TOKEN)")
    discord.set_defaults(run=lambda args: _platform("bots.discord.main", args))
    slack = sub.add_parser("slack", help="run the Slack bot (Socket Mode, or --http)")
    slack.add_argument("--http", action="store_true", help="serve HTTP events at /slack/events instead of Socket Mode")
    slack.add_argument("--port", type=int, default=3000)
    slack.add_argument("action", nargs="?", choices=["manifest"], help="'manifest' prints the Slack app manifest")
    slack.set_defaults(run=lambda args: _platform("bots.slack.main", args))
    return parser


def _console(args: argparse.Namespace) -> int:
    from bots.console.run import run_console

    return asyncio.run(run_console(args.user, args.community, args.admin))


def _content_check(args: argparse.Namespace) -> int:
    from bots.content_tools import check_file

    return check_file(args.file)


def _content_import(args: argparse.Namespace) -> int:
    from bots.content_tools import import_file

    return asyncio.run(import_file(args.file, args.community))


def _platform(module: str, args: argparse.Namespace) -> int:
    import importlib

    return int(importlib.import_module(module).run(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
