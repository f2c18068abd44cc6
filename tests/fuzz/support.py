"""What every fuzz property shares: an event loop the test owns, a recorder of ERROR logs and of exceptions the loop
saw, a digest of the tables a refused request must not touch, and strategies built from the real catalog.

Why a loop of our own: hypothesis runs each example as a plain function call, and pytest-asyncio's fixtures are made
once per test, not per example. So a test builds its services (or its bot and stand-in) once inside a `LoopRunner`,
and each example runs its coroutine with `runner.run(...)`. Between examples the loop is paused, which nothing in
the product or the stand-ins minds (no example takes near a heartbeat or a deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import re
import shlex
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st

from commands.registry import CommandSpec, Option, load_catalog
from core.text import clean

T = TypeVar("T")

CATALOG = load_catalog()
SPECS: list[CommandSpec] = sorted(CATALOG.commands.values(), key=lambda s: s.name)
ADMIN_SPECS = [s for s in SPECS if s.admin]
ANSWER_ACTION = "qotd.answer"
LETTERS = ("A", "B", "C", "D", "E")

# Tables whose rows a refused request must leave exactly as they were (deliveries and duties are bookkeeping: a
# refusal that was answered legitimately claims its delivery; see each property for which tables it compares).
STATE_TABLES = ("communities", "members", "answers", "daily_posts", "activity", "streaks", "tallies")
ALL_TABLES = (*STATE_TABLES, "duties", "deliveries")
# A member's own records: what their answer, check-in, zone or nudge may write (a nudge is a planned duty).
OWN_TABLES = {"members", "answers", "activity", "streaks", "tallies"}
SELF_SERVICE = {"checkin", "timezone", "streak", "study"}  # commands by which a member records something of their own


def member_may_write(line: str) -> set[str]:
    """The tables a member's command line may change: their own records through a self-service command (its
    refusals are checked by the commands' own tests), nothing otherwise."""
    words = clean(line).strip().lstrip("/").split(maxsplit=1)  # as the dispatcher reads it: '/\x00checkin' is /checkin
    return OWN_TABLES | {"duties"} if words and words[0] in SELF_SERVICE else set()


def examples(ci: int) -> int:
    """`ci` examples in the default profile; the profile's own count (10,000 in `full`) otherwise."""
    if settings.get_current_profile_name() == "ci":
        return ci
    return int(settings.default.max_examples)


# ------------------------------------------------------------------------------------------------ the loop and logs


class LoopRunner:
    """An event loop owned by one test: enter async context managers on it once, run each example's coroutine."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop_errors: list[dict[str, Any]] = []
        self.loop.set_exception_handler(lambda loop, context: self.loop_errors.append(context))
        self._stack: list[AbstractAsyncContextManager[Any]] = []

    def run(self, work: Awaitable[T], timeout: float = 30.0) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(work, timeout))

    def enter(self, manager: AbstractAsyncContextManager[T]) -> T:
        value = self.run(manager.__aenter__())
        self._stack.append(manager)
        return value

    def forget(self) -> None:
        self.loop_errors.clear()

    def collect(self, generation: int = 2) -> list[str]:
        """Exceptions nobody retrieved ("Task exception was never retrieved" and the like), oldest first. A task's
        unretrieved exception is reported when the task is collected: the young generations (cheap, enough for an
        example's own tasks) or all of them (~40 ms with discord.py loaded: once at the end of a test)."""
        gc.collect(generation)
        self.loop.run_until_complete(asyncio.sleep(0))
        found = [describe_loop_error(c) for c in self.loop_errors]
        self.loop_errors.clear()
        return found

    def check_unretrieved(self, what: object, generation: int = 2) -> None:
        """Fail if an exception died unretrieved in a task, chained to it (see `ErrorRecords.check`)."""
        gc.collect(generation)
        self.loop.run_until_complete(asyncio.sleep(0))
        if not self.loop_errors:
            return
        cause = next((c["exception"] for c in self.loop_errors if c.get("exception") is not None), None)
        message = f"an exception escaped a task for {what!r}: {self.collect(0)}"
        if cause is None:
            raise AssertionError(message)
        raise AssertionError(message) from cause

    def close(self) -> None:
        try:
            while self._stack:
                manager = self._stack.pop()
                self.loop.run_until_complete(asyncio.wait_for(manager.__aexit__(None, None, None), 30))
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.wait(pending, timeout=5))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()

    def __enter__(self) -> LoopRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def describe_loop_error(context: dict[str, Any]) -> str:
    error = context.get("exception")
    found = _exception((type(error), error, error.__traceback__)) if error is not None else ""
    return f"{context.get('message')}{found}"


class ErrorRecords(logging.Handler):
    """Every record at ERROR or above, from any logger, while attached (hypothesis examples cannot use caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def clear(self) -> None:
        """Forget what earlier examples logged (one that failed early never read its records)."""
        self.records.clear()

    def check(self, what: object) -> None:
        """Fail if anything was logged at ERROR, chained to the logged exception, so hypothesis tells failures of
        different causes apart (it keys them by where the exception and its context were raised)."""
        if not self.records:
            return
        cause = next((r.exc_info[1] for r in self.records if r.exc_info and r.exc_info[1] is not None), None)
        message = f"ERROR logged for {what!r}: {self.take()}"
        if cause is None:
            raise AssertionError(message)
        raise AssertionError(message) from cause

    def take(self) -> list[str]:
        found = [f"{r.name}: {r.getMessage()[:300]}{_exception(r.exc_info)}" for r in self.records]
        self.records.clear()
        return found


def _exception(exc_info: Any) -> str:
    """The exception and the last frame it passed through, which is what a report needs."""
    if not exc_info or exc_info[0] is None:
        return ""
    error, tb = exc_info[1], exc_info[2]
    where = ""
    while tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno} in {tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return f" [{type(error).__name__}: {str(error)[:200]}{where}]"


@contextlib.contextmanager
def recording_errors() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


# ------------------------------------------------------------------------------------------------ the database


def digest(db_path: str, tables: tuple[str, ...] = ALL_TABLES) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows: equal digests mean nothing was written (or updated)."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as db:
        found: dict[str, tuple[int, str]] = {}
        for table in tables:
            rows = db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            found[table] = (len(rows), hashlib.sha256(repr(rows).encode("utf-8", "surrogatepass")).hexdigest()[:16])
        return found


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> dict[str, str]:
    return {t: f"{before[t][0]} -> {after[t][0]} rows" + ("" if before[t][0] != after[t][0] else " (updated)")
            for t in before if t in after and before[t] != after[t]}


def post_ids(db_path: str) -> list[int]:
    with contextlib.closing(sqlite3.connect(db_path, timeout=10)) as db:
        return [int(r[0]) for r in db.execute("SELECT id FROM daily_posts ORDER BY id")]


# A pending task running code from one of these folders is the product (or its platform library) still at work.
WORKERS = ("/discord/", "/slack_bolt/", "/slack_sdk/", "/bots/", "/commands/", "/core/")


def pending_work(baseline: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Tasks started since `baseline` that are still running product or platform-library code."""
    def ours(task: asyncio.Task[Any]) -> bool:
        code = getattr(task.get_coro(), "cr_code", None)
        return code is not None and any(part in code.co_filename for part in WORKERS)
    return [t for t in asyncio.all_tasks() - baseline if not t.done() and ours(t)]


async def until(condition: Callable[[], bool], timeout: float, interval: float = 0.005) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


# ------------------------------------------------------------------------------------------------ text strategies

# Characters that have broken something before, or could: controls, NUL, lone surrogates, bidi marks, zero widths,
# Unicode digits that pass isdigit() (some of which int() takes), quotes of every kind, our own separators.
NASTY = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\r", "\n", "\t", "\u2028",
         "\ud800", "\udfff", "\udc80", "\ud83d", "\u200b", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\ufeff",
         "\ufffd", "\uffff", "\u00a0", "\u3000", "²", "³", "¹", "١", "٣", "۹", "߂", "𝟙", "①", "Ⅻ", "〇", "٫",
         "'", '"', "\u201c", "\u201d", "\u2018", "`", "\\", ":", ";", "|", "<", ">", "&", "@", "#", "!", "^", "*",
         "_", "~", "%", "$", "{", "}", "[", "]", "/", " ", "e", "é", "ß", "İ", "😀", "👩", "\u200d", "\ufe0f", "\U0010ffff"]

nasty_chars = st.sampled_from(NASTY)
any_chars = st.characters(codec=None, exclude_categories=())  # every code point, surrogates included
fuzz_text = st.text(st.one_of(nasty_chars, any_chars, st.characters(codec="ascii")), max_size=40)
# Long inputs are repetitions (cheap to make, and what a paste or an attack looks like), around every cap.
huge_text = st.builds(lambda unit, n: (unit * n)[:n],
                      st.sampled_from(["a", "'", '"', "\\", " ", ":", "9", "\ud800", "\u202e", "\x00", "ab c", "é",
                                       "😀", "a:", "<#", "\"'"]),
                      st.sampled_from([99, 100, 101, 199, 200, 201, 300, 301, 1_000, 2_001, 3_999, 4_000, 4_001,
                                       6_001, 10_000, 100_000]))
some_text = st.one_of(fuzz_text, fuzz_text, fuzz_text, huge_text)

NUMBER_WORDS = ["0", "-0", "1", "-1", "+1", " 7 ", "07", "1_000", "0x10", "1e3", "1.5", "-1.5", ".5", "5.", "1,5",
                "nan", "NaN", "inf", "-inf", "Infinity", "1e309", "-1e309", "9" * 19, "9" * 20, "9" * 400, "9" * 5_000,
                str(2**63 - 1), str(2**63), str(-(2**63)), str(-(2**63) - 1), "²", "١٢", "𝟙𝟚", "①", "Ⅻ", "٣.٥", ""]
numbers_as_text = st.one_of(
    st.sampled_from(NUMBER_WORDS),
    st.integers().map(str),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats().map(str),
)
BOOLEAN_WORDS = ["yes", "no", "y", "n", "true", "false", "on", "off", "1", "0", "YES", " Yes ", "maybe", "2", "", "ja",
                 "\u200byes", "t", "nope"]
CHANNEL_WORDS = ["<#C0GENERAL|general>", "<#C0GENERAL>", "#general", "general", "C0GENERAL", "<#>", "<#|x>", "<##>",
                 "<@&S0LEADS>", "<@U0MEMBER>", "<!channel>", "<!here>", "#", "<#C0GENERAL|>", "<#C\u202e1>",
                 "<#1200000000000000103>", "1200000000000000102", "<#C1|a|b>", "<#C0GENERAL", "#\ud800"]
MEMBER_WORDS = ["@bob", "bob", "<@U0BOB>", "<@U0BOB|bob>", "<@123456789012345678>", "@", "<@>", "<@U1|>", "@@x"]
ROLE_WORDS = ["<@&S0LEADS>", "<!subteam^S0LEADS|@leads>", "<!subteam^S0LEADS>", "@leads", "<@&>", "everyone",
              "@everyone", "<@&1>", "@here", "<@&1200000000000000100>", "1200000000000000201", "<@&S0\ud800>", "@"]

# What each option is about: real-looking values, near misses and nonsense of its own domain.
HINTS: dict[str, list[str]] = {
    "time": ["07:30", "7:30", "09:00", "00:00", "23:59", "24:00", "25:99", "7", "0730", "07:30pm", "7pm", "-1:00",
             "07:60", "١٢:٣٠", "07:30:00", "07.30", ":", "99999999999999999999:00", "7:3", " 07:30 "],
    "zone": ["UTC", "utc", "Asia/Karachi", "America/New_York", "Europe/Berlin", "Mars/Olympus", "../../etc/passwd",
             "EST5EDT", "Etc/GMT+14", "Etc/GMT-14", "Pacific/Kiritimati", "asia/kar", "/", "", "localtime", "posixrules",
             "Factory", "zoneinfo/UTC", "A" * 64, "America/Argentina/ComodRivadavia"],
    "delay": ["immediately", "now", "0", "0m", "1h", "12h", "24h", "90m", "1h30m", "-5h", "5", "99999999999h",
              "1e9h", "nan h", "h", "m", "12 h", "1d", "7d", "1000000m", "١٢h"],
    "filter": ["all", "step1", "step1 cardiovascular", "step2ck", "step9", "*", "step1,cardiovascular", "cardio",
               "none", "ALL", "step1 step1", "-step1", "step1 renal psychiatry ethics"],
}


def value_strategy(option: Option) -> st.SearchStrategy[str]:
    """Text a person could type for this option: of its declared kind, its choices, its hints, or anything."""
    kind: list[st.SearchStrategy[str]] = []
    if option.choices:
        kind.append(st.sampled_from(option.choices).flatmap(lambda c: st.sampled_from([c, c.lower(), c.upper(), f" {c} "])))
    if option.kind in ("integer", "number"):
        kind.append(numbers_as_text)
    elif option.kind == "boolean":
        kind.append(st.sampled_from(BOOLEAN_WORDS))
    elif option.kind == "channel":
        kind.append(st.sampled_from(CHANNEL_WORDS))
    elif option.kind == "role":
        kind.append(st.sampled_from(ROLE_WORDS))
    elif option.kind == "member":
        kind.append(st.sampled_from(MEMBER_WORDS))
    if option.name in HINTS:
        kind.append(st.sampled_from(HINTS[option.name]))
    return st.one_of(*kind, *kind, some_text) if kind else some_text


def _shape(word: str, how: str) -> str:
    if how == "quoted":
        return shlex.quote(word)
    if how == "double":
        return '"' + word.replace('"', '\\"') + '"'
    return word


@st.composite
def option_words(draw: st.DrawFn, spec: CommandSpec) -> list[str]:
    """`key:value` and positional words for some of the spec's options (in any order), and sometimes stray ones."""
    words: list[str] = []
    for option in draw(st.permutations(spec.options)) if spec.options else []:
        if not draw(st.booleans()):
            continue
        value = draw(value_strategy(option))
        form = draw(st.sampled_from(["key", "key", "positional", "KEY", "empty-key"]))
        how = draw(st.sampled_from(["raw", "quoted", "quoted", "double"]))
        if form == "key":
            words.append(f"{option.name}:{_shape(value, how)}")
        elif form == "KEY":
            words.append(f"{option.name.upper()}:{_shape(value, how)}")
        elif form == "empty-key":
            words.append(f"{option.name}:")
        else:
            words.append(_shape(value, how))
    if draw(st.integers(0, 4)) == 0:  # an option the command does not have, or loose words
        words.insert(draw(st.integers(0, len(words))),
                     draw(st.sampled_from(["stop:yes", "channel:#x", "nope:1", "post:1", ":", "::", "-", "--help"])
                          | fuzz_text.map(lambda t: _shape(t, "quoted"))))
    return words


@st.composite
def command_line(draw: st.DrawFn, specs: list[CommandSpec] | None = None) -> tuple[CommandSpec, str]:
    """A typed line (without the slash) for one command of the catalog: its path, then option words."""
    spec = draw(st.sampled_from(specs or SPECS))
    path = list(spec.path)
    if draw(st.integers(0, 5)) == 0:
        path = [draw(st.sampled_from([p, p.upper(), p.title(), f" {p}"])) for p in path]
    separator = draw(st.sampled_from([" ", " ", "  ", "\t"]))
    line = separator.join(path + draw(option_words(spec)))
    return spec, line


garbage_line = st.one_of(
    fuzz_text,
    huge_text,
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(["rounds", "qotd", "help", "", " ", "rounds rounds", "ROUNDS"]),
              fuzz_text),
    st.sampled_from(['"', "'", '" "', "' '", "\\", "rounds \"", "rounds time \"07:30", "\u201c", " ", "\x00", "\ud800",
                     "rounds\x00time 07:30", "rounds\u200btime 07:30", "qotd\u202e", "/", "//qotd", "rounds time:07:30"]),
)

# --------------------------------------------------------------------------------------------- custom ids


def _number_part() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NUMBER_WORDS), st.integers(min_value=-(2**70), max_value=2**70).map(str))


@st.composite
def custom_id(draw: st.DrawFn, real_posts: list[int] | None = None) -> str:
    """`rounds:<action>:<args…>`: real and unknown actions, numbers of every size, Unicode digits, any part count."""
    prefix = draw(st.sampled_from(["rounds", "rounds", "rounds", "Rounds", "round", "", " rounds", "rounds\x00"]))
    action = draw(st.sampled_from([ANSWER_ACTION, ANSWER_ACTION, ANSWER_ACTION, "qotd.answer ", "QOTD.ANSWER", "qotd",
                                   "gone.action", "", "help", "rounds"]) | fuzz_text)
    post = draw(st.one_of(_number_part(), st.sampled_from([str(p) for p in real_posts or [1]]), fuzz_text))
    letter = draw(st.one_of(st.sampled_from([*LETTERS, "a", "e", "F", "", "AB", " A", "Ａ", "\u0410"]), fuzz_text))
    parts = [prefix, action, post, letter]
    shape = draw(st.sampled_from(["exact", "exact", "fewer", "more", "empty-parts", "huge"]))
    if shape == "fewer":
        parts = parts[: draw(st.integers(0, 3))]
    elif shape == "more":
        parts += draw(st.lists(st.one_of(_number_part(), fuzz_text), min_size=1, max_size=60))
    elif shape == "empty-parts":
        parts = [prefix, action, "", ""] + [""] * draw(st.integers(0, 3))
    elif shape == "huge":
        parts[draw(st.integers(1, 3))] = draw(huge_text)
    return ":".join(parts)


CUSTOM_ID_LIMIT = 100  # Discord's limit for a custom id
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # controls other than tab and newline: dropped at the edge


def valid_answer(custom: str, existing_posts: list[int]) -> bool:
    """What the product may accept as an answer button: exactly our shape (`rounds:qotd.answer:<post>:<letter>`)
    for a post that exists. The post number is read as the catalog declares it (an integer; Python's int() also
    reads '+1', ' 1', '1_0' and non-ASCII decimal digits) and the letter case-insensitively, as option coercion does.
    Control characters are dropped at the edge and an id is at most 100 characters (Discord's limit), so this judges
    the id as the dispatcher sees it after that."""
    parts = _UNSAFE.sub("", custom)[:CUSTOM_ID_LIMIT].split(":")
    if len(parts) != 4 or parts[0] != "rounds" or parts[1] != ANSWER_ACTION:
        return False
    try:
        post = int(parts[2].strip())
    except ValueError:
        return False
    return post in existing_posts and parts[3].strip().upper() in LETTERS


@st.composite
def with_nasty_chars(draw: st.DrawFn, line: str) -> str:
    """The line with characters from NASTY (or any code point) put in, or put in place of others, anywhere."""
    chars = list(line)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(chars)))
        piece = draw(st.one_of(nasty_chars, any_chars))
        if chars and at < len(chars) and draw(st.booleans()):
            chars[at] = piece
        else:
            chars.insert(at, piece)
    return "".join(chars)
