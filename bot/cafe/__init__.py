"""World Café sessions: questions, seating, rounds, tablecloths and the harvest. No Discord."""
