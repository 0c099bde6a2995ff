"""Membership: people, organisations, stakeholder groups and levels. No Discord here."""
