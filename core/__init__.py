"""Rounds core: domain rules, services, storage and scheduling. Imports no platform SDK."""
