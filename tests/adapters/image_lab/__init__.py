"""Test-only commands whose replies carry an image, declared like any module in `commands/`: the adapter tests load
them next to the real catalog to show a picture reaching each platform through an interaction's own response."""
