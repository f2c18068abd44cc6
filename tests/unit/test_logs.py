"""Logs at every level keep secrets out."""

from __future__ import annotations


def test_debug_logging_keeps_sql_parameters_and_tokens_out():
    """aiosqlite logs every statement with its parameters (delivery keys, notes) at DEBUG: held at INFO."""
    import logging

    from bots.logs import configure, scrub

    configure("DEBUG")
    try:
        assert logging.getLogger("aiosqlite").getEffectiveLevel() >= logging.INFO
        assert "abc.def" not in scrub("POST /interactions/123/abc.def/callback")
        assert "xoxb-1-2" not in scrub("token xoxb-1-2 used")
    finally:
        configure("WARNING")
