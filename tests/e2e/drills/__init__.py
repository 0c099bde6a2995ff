"""Drills: real processes, real PostgreSQL, the sandbox; crashes, overlaps and outages."""
