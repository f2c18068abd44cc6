"""The streaks capability's commands."""
