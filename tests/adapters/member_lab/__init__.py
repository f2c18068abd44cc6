"""A test-only command with a `member` option, declared exactly as a real module in `commands/` would be: the adapter
tests load it next to the real catalog to prove a member option works on each platform with no adapter code of its own."""
