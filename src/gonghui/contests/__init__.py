"""Craftsman challenges and skill competitions (工匠选树与技能竞赛): issue #17. So far the
scoring rules (scoring.py, standard library only: the verifier in a notary's bundle runs it)."""
