"""Spaced review: each member's queue of questions they missed or marked, scheduled with FSRS."""
