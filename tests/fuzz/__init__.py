"""Property-based fuzzing of every command and every button, through the console and both adapters (issue 8)."""
