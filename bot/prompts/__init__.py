"""Themed questions: the bank's rules, the rotation, and the services behind /prompt."""
