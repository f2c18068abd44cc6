"""Versioned schema migrations, applied in order at start-up; PRAGMA user_version records the last one applied.

Instants are UTC ISO-8601 text. Platform ids are namespaced ('discord:…', 'slack:…', 'console:…') so one database
serves every platform.
"""

MIGRATIONS: list[str] = [
    # 1: communities, members, the question bank, daily posts and answers
    """
    CREATE TABLE communities (
        id                   TEXT PRIMARY KEY,
        name                 TEXT NOT NULL DEFAULT '',
        channel_id           TEXT,
        post_time            TEXT NOT NULL DEFAULT '09:00',
        timezone             TEXT NOT NULL DEFAULT 'UTC',
        reveal_delay_minutes INTEGER NOT NULL DEFAULT 720 CHECK (reveal_delay_minutes >= 0),
        tag_filter           TEXT NOT NULL DEFAULT '',
        admin_role           TEXT,
        created_at           TEXT NOT NULL
    );
    CREATE TABLE members (
        id           TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        timezone     TEXT,
        created_at   TEXT NOT NULL
    );
    CREATE TABLE questions (
        id           TEXT PRIMARY KEY,
        community_id TEXT,
        step         TEXT NOT NULL,
        system       TEXT NOT NULL,
        disciplines  TEXT NOT NULL,
        competency   TEXT NOT NULL,
        body         TEXT NOT NULL,
        imported_at  TEXT NOT NULL
    );
    CREATE INDEX questions_by_community ON questions (community_id);
    CREATE TABLE daily_posts (
        id           INTEGER PRIMARY KEY,
        community_id TEXT NOT NULL REFERENCES communities (id),
        local_date   TEXT NOT NULL,
        question_id  TEXT NOT NULL REFERENCES questions (id),
        cycle        INTEGER NOT NULL DEFAULT 0,
        scheduled_at TEXT NOT NULL,
        reveal_at    TEXT NOT NULL,
        immediate    INTEGER NOT NULL DEFAULT 0,
        announced_at TEXT,
        revealed_at  TEXT,
        UNIQUE (community_id, local_date)
    );
    CREATE TABLE answers (
        post_id     INTEGER NOT NULL REFERENCES daily_posts (id),
        member_id   TEXT NOT NULL,
        choice      TEXT NOT NULL CHECK (choice IN ('A', 'B', 'C', 'D', 'E')),
        correct     INTEGER NOT NULL,
        answered_at TEXT NOT NULL,
        PRIMARY KEY (post_id, member_id)
    );
    CREATE INDEX answers_by_member ON answers (member_id);
    """,
    # 2: inbound deliveries claimed once (a platform's retry of an event or interaction must never count twice)
    """
    CREATE TABLE deliveries (
        key         TEXT PRIMARY KEY,
        received_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX deliveries_by_time ON deliveries (received_at);
    """,
    # 3: duties: every timed effect (a daily post, a reveal, a reminder) is a row with a due instant and a lease
    """
    CREATE TABLE duties (
        id            INTEGER PRIMARY KEY,
        kind          TEXT NOT NULL,
        key           TEXT NOT NULL,
        scope         TEXT NOT NULL,
        platform      TEXT NOT NULL,
        due_at        TEXT NOT NULL,
        payload       TEXT NOT NULL DEFAULT '{}',
        claimed_by    TEXT,
        claimed_until TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        outcome       TEXT,
        done_at       TEXT,
        UNIQUE (kind, key)
    );
    CREATE INDEX duties_due ON duties (due_at) WHERE done_at IS NULL;
    CREATE INDEX duties_by_scope ON duties (scope, kind);
    CREATE INDEX duties_done ON duties (done_at) WHERE done_at IS NOT NULL;
    """,
    # 4: the inbox: a delivery is recorded with what it takes to run it (its kind and body) before the platform gets
    #    its ack, and marked done once handled, so deliveries a crash interrupted can be run again at start-up. The
    #    lease says until when the process that took it is presumed at work on it. Claims recorded before this
    #    version were handled as they came: they are done.
    """
    ALTER TABLE deliveries ADD COLUMN kind TEXT;
    ALTER TABLE deliveries ADD COLUMN body TEXT;
    ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN lease_until TEXT;
    ALTER TABLE deliveries ADD COLUMN outcome TEXT;
    ALTER TABLE deliveries ADD COLUMN done_at TEXT;
    UPDATE deliveries SET done_at = received_at, outcome = 'done';
    CREATE INDEX deliveries_unfinished ON deliveries (received_at) WHERE done_at IS NULL;
    """,
    # 5: a first answer may be changed for a few seconds (a mis-tap undone): `change_until` is when that window
    #    closes (answers from before have none: they stand), `changed_at` when the answer was last changed
    """
    ALTER TABLE answers ADD COLUMN change_until TEXT;
    ALTER TABLE answers ADD COLUMN changed_at TEXT;
    """,
    # 6: members' reports of a problem with a question: at most one open report per member and question in a
    #    community (reporting again updates it); resolving closes them all, so a later report opens a new one
    """
    CREATE TABLE question_reports (
        id           INTEGER PRIMARY KEY,
        community_id TEXT NOT NULL REFERENCES communities (id),
        question_id  TEXT NOT NULL,
        post_id      INTEGER NOT NULL REFERENCES daily_posts (id),
        member_id    TEXT NOT NULL,
        note         TEXT NOT NULL,
        reported_at  TEXT NOT NULL,
        resolved_at  TEXT
    );
    CREATE UNIQUE INDEX question_reports_open ON question_reports (community_id, question_id, member_id)
        WHERE resolved_at IS NULL;
    CREATE INDEX question_reports_by_community ON question_reports (community_id, reported_at) WHERE resolved_at IS NULL;
    """,
    # 7: a role to ping when the daily question posts (none: the post pings nobody)
    """
    ALTER TABLE communities ADD COLUMN ping_role TEXT;
    """,
    # 8: a community's question removed after a daily post showed it is retired, not deleted: the post and its
    #    answers keep pointing at it, and it is never picked again
    """
    ALTER TABLE questions ADD COLUMN retired_at TEXT;
    """,
]
