"""The tables as they stand after the last migration, for the stores' statements (SQLAlchemy Core).

One description serves both databases: SQLAlchemy renders each statement in the dialect of the engine it runs on.
Instants are UTC ISO-8601 text and flags are 0/1 integers on both, so rows compare and sort the same everywhere.
Platform ids are namespaced ('discord:…', 'slack:…', 'console:…') so one database serves every platform.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, Table, Text

metadata = MetaData()

RowId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's INTEGER PRIMARY KEY is its 64-bit rowid

communities = Table(
    "communities", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, server_default=""),
    Column("channel_id", Text),
    Column("post_time", Text, nullable=False, server_default="09:00"),
    Column("timezone", Text, nullable=False, server_default="UTC"),
    Column("reveal_delay_minutes", Integer, nullable=False, server_default="720"),
    Column("tag_filter", Text, nullable=False, server_default=""),
    Column("admin_role", Text),
    Column("created_at", Text, nullable=False),
    Column("ping_role", Text),
    Column("recap_weekday", Integer, nullable=False, server_default="6"),  # Monday 0 … Sunday 6
    Column("recap_time", Text),
)

members = Table(
    "members", metadata,
    Column("id", Text, primary_key=True),
    Column("display_name", Text, nullable=False, server_default=""),
    Column("timezone", Text),
    Column("created_at", Text, nullable=False),
    Column("rollover_hour", Integer, nullable=False, server_default="0"),
    Column("remind_minutes", Integer),
)

questions = Table(
    "questions", metadata,
    Column("id", Text, primary_key=True),
    Column("community_id", Text),
    Column("step", Text, nullable=False),
    Column("system", Text, nullable=False),
    Column("disciplines", Text, nullable=False),
    Column("competency", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("imported_at", Text, nullable=False),
    Column("retired_at", Text),
)

daily_posts = Table(
    "daily_posts", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("local_date", Text, nullable=False),
    Column("question_id", Text, nullable=False),
    Column("cycle", Integer, nullable=False, server_default="0"),
    Column("scheduled_at", Text, nullable=False),
    Column("reveal_at", Text, nullable=False),
    Column("immediate", Integer, nullable=False, server_default="0"),
    Column("announced_at", Text),
    Column("revealed_at", Text),
)

answers = Table(
    "answers", metadata,
    Column("post_id", RowId, primary_key=True),
    Column("member_id", Text, primary_key=True),
    Column("choice", Text, nullable=False),
    Column("correct", Integer, nullable=False),
    Column("answered_at", Text, nullable=False),
    Column("change_until", Text),
    Column("changed_at", Text),
)

question_reports = Table(
    "question_reports", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("question_id", Text, nullable=False),
    Column("post_id", RowId, nullable=False),
    Column("member_id", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("reported_at", Text, nullable=False),
    Column("resolved_at", Text),
)

deliveries = Table(
    "deliveries", metadata,
    Column("key", Text, primary_key=True),
    Column("received_at", Text, nullable=False),
    Column("kind", Text),
    Column("body", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_until", Text),
    Column("outcome", Text),
    Column("done_at", Text),
)

duties = Table(
    "duties", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("kind", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("platform", Text, nullable=False),
    Column("due_at", Text, nullable=False),
    Column("payload", Text, nullable=False, server_default="{}"),
    Column("claimed_by", Text),
    Column("claimed_until", Text),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("outcome", Text),
    Column("done_at", Text),
)

activity = Table(
    "activity", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("member_id", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("zone", Text, nullable=False),
    Column("local_day", Text, nullable=False),
    Column("questions", Integer, nullable=False, server_default="0"),
    Column("minutes", Integer, nullable=False, server_default="0"),
    Column("note", Text, nullable=False, server_default=""),
    Column("ref", Text),
)

streaks = Table(
    "streaks", metadata,
    Column("community_id", Text, primary_key=True),
    Column("member_id", Text, primary_key=True),
    Column("current", Integer, nullable=False, server_default="0"),
    Column("longest", Integer, nullable=False, server_default="0"),
    Column("freezes", Integer, nullable=False, server_default="0"),
    Column("last_day", Text),
    Column("frozen", Text, nullable=False, server_default=""),
    Column("expires_at", Text),  # when the streak runs out; None: no live streak (a later write clears a past one)
    Column("nudge", Integer, nullable=False, server_default="0"),
    Column("updated_at", Text, nullable=False),
)

tallies = Table(
    "tallies", metadata,
    Column("community_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),  # 'all', 'W2026-49' (ISO week), 'M2026-12'
    Column("source", Text, primary_key=True),  # an activity source, or 'day' for any activity
    Column("member_id", Text, primary_key=True),
    Column("days", Integer, nullable=False, server_default="0"),  # local days with this source
    Column("count", Integer, nullable=False, server_default="0"),  # activities
)

# How many members hold each value of a board (kept by StreakStore.record with the rows it counts): a rank is one
# plus the members in the buckets above, a board's size the members in all of them.
streak_values = Table(
    "streak_values", metadata,
    Column("community_id", Text, primary_key=True),
    Column("expires_at", Text, primary_key=True),  # a streak counts on the board until then
    Column("current", Integer, primary_key=True),
    Column("members", Integer, nullable=False),
)

tally_values = Table(
    "tally_values", metadata,
    Column("community_id", Text, primary_key=True),
    Column("period", Text, primary_key=True),
    Column("source", Text, primary_key=True),
    Column("metric", Text, primary_key=True),  # the tally column counted: 'days' or 'count'
    Column("value", Integer, primary_key=True),
    Column("members", Integer, nullable=False),
)

live_boards = Table(
    "live_boards", metadata,
    Column("community_id", Text, primary_key=True),
    Column("channel_id", Text, nullable=False),
    Column("message_id", Text),
    Column("period", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("refreshed_at", Text),
)

sessions = Table(
    "sessions", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("number", Integer, nullable=False),  # counts up within the community: `#3`
    Column("author_id", Text, nullable=False),
    Column("channel_id", Text),  # where its card and "starting now" go; None: nowhere (a console without one)
    Column("topic", Text, nullable=False),
    Column("starts_at", Text, nullable=False),  # the first (or only) occurrence
    Column("wall", Text, nullable=False),  # that start as the author's naive local wall time
    Column("zone", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("capacity", Integer),  # None: anyone who comes
    Column("link", Text),
    Column("weekly", Integer, nullable=False, server_default="0"),
    Column("excluded", Text, nullable=False, server_default=""),  # weeks cancelled alone: local wall times, one a line
    Column("next_at", Text),  # the occurrence next or in progress; None: over or cancelled
    Column("message_id", Text),
    Column("thread_id", Text),
    Column("event_id", Text),
    Column("version", Integer, nullable=False, server_default="1"),  # bumped by each edit or cancellation
    Column("created_at", Text, nullable=False),
    Column("cancelled_at", Text),
)

rsvps = Table(
    "rsvps", metadata,
    Column("session_id", RowId, primary_key=True),
    Column("member_id", Text, primary_key=True),
    Column("status", Text, nullable=False),  # 'going', 'maybe', 'cant', 'waiting'
    Column("answered_at", Text, nullable=False),  # the waitlist's order
)

attendance = Table(
    "attendance", metadata,
    Column("session_id", RowId, primary_key=True),
    Column("occurrence", Text, primary_key=True),  # the occurrence's start
    Column("member_id", Text, primary_key=True),
    Column("at", Text, nullable=False),
)

permission_notices = Table(
    "permission_notices", metadata,
    Column("community_id", Text, primary_key=True),
    Column("permission", Text, primary_key=True),
    Column("told_at", Text, nullable=False),
)

# -- the resource library (migration 11) -------------------------------------------------------------------------
# A bundled entry has community_id '' (so the unique key holds for it too); a community's approved one has its
# community's id and an id 'c<number>'. `body` is the whole entry as JSON; the *_terms columns are its words as
# `core.resources.search.terms` cuts them, which is what both full-text engines index.
resources = Table(
    "resources", metadata,
    Column("key", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("title_terms", Text, nullable=False),
    Column("alias_terms", Text, nullable=False),
    Column("tag_terms", Text, nullable=False),
    Column("answer_terms", Text, nullable=False),
    Column("author_id", Text),
    Column("added_at", Text, nullable=False),
)

# The words typos are corrected to, per scope ('' bundled, else a community's own entries).
resource_words = Table(
    "resource_words", metadata,
    Column("key", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("word", Text, nullable=False),
)

resource_library = Table(
    "resource_library", metadata,
    Column("name", Text, primary_key=True),  # 'bundled'
    Column("digest", Text, nullable=False),  # of the entries last synced: the same library is not synced again
    Column("loaded_at", Text, nullable=False),
)

resource_suggestions = Table(
    "resource_suggestions", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("author_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("tags", Text, nullable=False),  # space-separated slugs
    Column("status", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("decided_by", Text),
    Column("decided_at", Text),
    Column("resource_id", Text),
)

resource_marks = Table(
    "resource_marks", metadata,
    Column("community_id", Text, primary_key=True),
    Column("resource_id", Text, primary_key=True),
    Column("member_id", Text, primary_key=True),
    Column("marked_at", Text, nullable=False),
)

roadmap_ticks = Table(
    "roadmap_ticks", metadata,
    Column("community_id", Text, primary_key=True),
    Column("member_id", Text, primary_key=True),
    Column("step", Text, primary_key=True),
    Column("ticked_at", Text, nullable=False),
)

# -- spaced review (migration 12) ------------------------------------------------------------------------------
# One card per (community, member, question): its FSRS state (core.review.rules.Schedule) and when it is due.
# `reviews` counts the answers given in /review, and a review's buttons carry it: a second press of the same buttons
# finds it moved on and rates nothing.
review_cards = Table(
    "review_cards", metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("community_id", Text, nullable=False),
    Column("member_id", Text, nullable=False),
    Column("question_id", Text, nullable=False),
    Column("origin", Text, nullable=False),  # 'missed' (a wrong answer to a daily post) or 'asked' (Review later)
    Column("post_id", RowId),  # the daily post it came from
    Column("state", Integer, nullable=False),  # fsrs.State
    Column("step", Integer),
    Column("stability", Float),
    Column("difficulty", Float),
    Column("due_at", Text, nullable=False),
    Column("last_review_at", Text),
    Column("reviews", Integer, nullable=False, server_default="0"),
    Column("lapses", Integer, nullable=False, server_default="0"),  # wrong answers in /review
    Column("added_at", Text, nullable=False),
)

# Full-text indexes that are not tables of this metadata, whose names all start with this prefix. SQLite: the FTS5
# tables (and their shadow tables) over resources and over resource_words (trigrams). PostgreSQL: resource_fts, each
# entry's weighted tsvector (title A, aliases B, tags C, answer D) kept by a trigger and indexed with GIN, beside a
# pg_trgm index on resource_words.word.
SQLITE_SEARCH_TABLES = "resource_fts"


def resource_document(row: str) -> str:
    """The weighted tsvector of a resources row (`row` is how the SQL names it: 'NEW', 'r')."""
    return " || ".join(f"setweight(to_tsvector('english', {row}.{column}), '{weight}')" for column, weight in
                       (("title_terms", "A"), ("alias_terms", "B"), ("tag_terms", "C"), ("answer_terms", "D")))
