"""applications (issue #18)."""
