"""accounts (issue #18)."""
