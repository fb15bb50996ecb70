"""reports (issue #18)."""
