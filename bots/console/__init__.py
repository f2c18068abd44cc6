"""The terminal console: the bot with no token, for trying Rounds and for tests (errbot's text backend idea)."""
