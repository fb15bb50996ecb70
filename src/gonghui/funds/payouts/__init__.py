"""payouts (issue #18)."""
