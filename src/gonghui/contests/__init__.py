"""Craftsman challenges and skill competitions (工匠选树与技能竞赛): issue #17. So far the
rules a notary's verifier re-runs, standard library only: scoring.py (raw marks to results)
and panels.py (the judging panel's draw)."""
