"""宣讲团、工会主席接待日与联盟: every write."""
