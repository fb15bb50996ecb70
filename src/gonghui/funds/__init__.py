"""Funds, subsidies and aid (资金与帮扶): issue #18. So far the rules the platform and its
checks share, standard library only: money.py (fen, never float), rules.py (programme
rules as data: amount tables, eligibility), prediction.py (which payout lines a bank will
refuse, and why)."""
