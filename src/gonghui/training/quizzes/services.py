"""题库与现场答题: every write."""
