"""Fuzzing through the console harness: every command of the catalog with typed options of every kind, garbage
lines, Unicode of every sort, and button custom ids of every shape.

Properties (issue 8, "A fuzzing suite that stays"):
- `send` never raises;
- what a person typed never gets the generic internal error (and nothing is logged at ERROR);
- a refused request writes nothing: a member's commands (after the community and today's post exist, nothing a
  member types writes), and any button id that is not one of ours for a post that exists.

One database per test, built once; each example runs on it (`support.LoopRunner`).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bots.console.session import ConsoleSession
from commands.dispatch import INTERNAL_ERROR, Dispatcher
from commands.replies import Reply
from core.bootstrap import Services, build
from core.clock import FrozenClock
from core.settings import Settings
from tests.conftest import START
from tests.fuzz.support import (
    ADMIN_SPECS,
    ALL_TABLES,
    CATALOG,
    LETTERS,
    OWN_TABLES,
    ErrorRecords,
    LoopRunner,
    changed,
    command_line,
    custom_id,
    digest,
    examples,
    fuzz_text,
    garbage_line,
    huge_text,
    member_may_write,
    post_ids,
    recording_errors,
    valid_answer,
    with_nasty_chars,
)


class ConsoleRig:
    """Services on one database, a member in community `default` and an admin in community `admins` (so an admin's
    settings never change what a member's `/qotd` does), each community with today's post already made."""

    def __init__(self, tmp_path: Path) -> None:
        self.db_path = str(tmp_path / "fuzz.db")
        self.runner = LoopRunner()
        self.services: Services = self.runner.run(build(Settings(db_path=self.db_path), clock=FrozenClock(START)))
        dispatcher = Dispatcher(CATALOG)
        self.member = ConsoleSession(self.services, dispatcher, user="maya", community="default")
        self.admin = ConsoleSession(self.services, dispatcher, user="omar", community="admins", admin=True)
        for session in (self.member, self.admin):
            warm = self.send(session, "/qotd")
            assert warm is not None and warm.buttons, warm
        self.posts = post_ids(self.db_path)

    def send(self, session: ConsoleSession, line: str) -> Reply | None:
        return self.runner.run(session.send(line))

    def press(self, session: ConsoleSession, custom: str) -> Reply:
        return self.runner.run(session.dispatcher.press(session.context, custom))

    def close(self) -> None:
        try:
            self.runner.run(self.services.close())
        finally:
            self.runner.close()


def _check(reply: Reply | None, errors: ErrorRecords, typed: str) -> None:
    errors.check(typed)  # the generic error is logged with its traceback: fail on that, chained to it
    assert reply is None or reply.text != INTERNAL_ERROR, f"generic error for {typed!r}"


def _is_press(line: str) -> bool:
    line = line.strip()
    return line.startswith("[") and line.endswith("]")


member_lines = st.one_of(
    command_line().map(lambda c: "/" + c[1]),
    command_line(ADMIN_SPECS).map(lambda c: "/" + c[1]),  # what a member may not run, weighted up
    garbage_line.map(lambda t: "/" + t),
    garbage_line,
)


def test_member_command_lines_never_fail_and_write_nothing(tmp_path: Path) -> None:
    rig = ConsoleRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(300))
            @given(line=member_lines)
            # The inputs of issue 8, every run: a blank command name, an unclosed quote, a 1 MB line, surrogates.
            @example(line='/" "')
            @example(line='/rounds time "07:30')
            @example(line="/" + "a" * 1_000_000)
            @example(line="/qotd \ud800")
            @example(line="/rounds\u200btime 07:30")
            @example(line="/rounds time time:\x00\ud800")
            def member_types(line: str) -> None:
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)
                reply = rig.send(rig.member, line)
                _check(reply, errors, line)
                if not _is_press(line):
                    moved = changed(before, digest(rig.db_path, ALL_TABLES))
                    assert set(moved) <= member_may_write(line), f"a member's {line!r} wrote {moved}; reply: {reply and reply.text!r}"

            member_types()
    finally:
        rig.close()


def test_admin_command_lines_never_fail(tmp_path: Path) -> None:
    rig = ConsoleRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(300))
            @given(line=st.one_of(command_line().map(lambda c: "/" + c[1]), command_line(ADMIN_SPECS).map(lambda c: "/" + c[1]),
                                  garbage_line.map(lambda t: "/" + t)))
            @example(line="/rounds time time:\ud800")
            @example(line="/rounds admin-role role:<@&S0\ud800>")
            @example(line="/rounds tags filter:\ud800")
            @example(line="/rounds reveal nan")
            @example(line="/rounds reveal 99999999999h")
            @example(line="/rounds timezone zone:../../etc/passwd")
            def admin_types(line: str) -> None:
                errors.clear()
                _check(rig.send(rig.admin, line), errors, line)

            admin_types()
    finally:
        rig.close()


def test_unicode_anywhere_in_a_command_line_never_fails(tmp_path: Path) -> None:
    """Control characters, NUL, lone surrogates, bidi marks and huge words put anywhere into real command lines."""
    rig = ConsoleRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(200))
            @given(line=st.one_of(command_line().flatmap(lambda c: with_nasty_chars("/" + c[1])),
                                  st.builds(lambda c, big: f"/{c[1]} {big}", command_line(), huge_text)),
                   admin=st.booleans())
            def anyone_types(line: str, admin: bool) -> None:
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)
                reply = rig.send(rig.admin if admin else rig.member, line)
                _check(reply, errors, line)
                if not admin and not _is_press(line):
                    moved = changed(before, digest(rig.db_path, ALL_TABLES))
                    assert set(moved) <= member_may_write(line), f"a member's {line!r} wrote {moved}; reply: {reply and reply.text!r}"

            anyone_types()
    finally:
        rig.close()


def test_button_ids_and_labels_never_fail_and_invalid_ones_write_nothing(tmp_path: Path) -> None:
    rig = ConsoleRig(tmp_path)
    try:
        with recording_errors() as errors:
            @settings(max_examples=examples(300))
            @given(pressed=st.one_of(custom_id(rig.posts).map(lambda c: ("id", c)),
                                     st.one_of(fuzz_text, st.sampled_from([*LETTERS, "a", " B ", "F", ""])).map(lambda t: ("label", t))))
            @example(pressed=("id", "rounds:qotd.answer:1:²"))  # isdigit() but not int()
            @example(pressed=("id", "rounds:qotd.answer:" + "9" * 20 + ":A"))  # overflows SQLite's integer
            @example(pressed=("id", "rounds:qotd.answer:1"))  # too few parts
            @example(pressed=("id", "rounds:qotd.answer:1:A:B"))  # too many
            @example(pressed=("id", "rounds:qotd.answer:\ud800:A"))
            @example(pressed=("label", "\ud800"))
            def member_presses(pressed: tuple[str, str]) -> None:
                how, value = pressed
                errors.clear()
                before = digest(rig.db_path, ALL_TABLES)
                if how == "id":
                    reply: Reply | None = rig.press(rig.member, value)
                    allowed = valid_answer(value, post_ids(rig.db_path))
                else:
                    reply = rig.send(rig.member, f"[{value}]")
                    allowed = value.strip().upper() in LETTERS
                _check(reply, errors, value)
                moved = changed(before, digest(rig.db_path, ALL_TABLES))
                if allowed:
                    assert set(moved) <= OWN_TABLES, f"an answer by {value!r} wrote {moved}"
                else:
                    assert not moved, f"the invalid button {value!r} wrote {moved}; reply: {reply and reply.text!r}"

            member_presses()
    finally:
        rig.close()
