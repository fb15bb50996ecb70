"""读书沙龙: every write."""
