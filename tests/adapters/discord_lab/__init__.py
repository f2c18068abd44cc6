"""Test-only commands, declared exactly as a real module in `commands/` would be. The Discord tests load them next
to the real catalog to prove that a new declaration reaches Discord with no adapter code of its own."""
