"""programmes (issue #18)."""
