"""Judging (评分): matches, panel draws with recusal, immutable marks from the judges'
phones (idempotent, offline-safe), absences and score-sheet locks."""
