"""Background work of registration, run by ``gonghui worker``: every minute, registration
closes for each competition whose ``registration_closes_at`` has passed."""

from gonghui.contests.entry.services import registrations_close_due

CLOSE_SECONDS = 60


def registrations_close() -> int:
    """The worker's schedule calls this: how many competitions it closed."""
    return registrations_close_due()
