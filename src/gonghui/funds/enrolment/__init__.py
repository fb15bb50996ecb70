"""enrolment (issue #18)."""
