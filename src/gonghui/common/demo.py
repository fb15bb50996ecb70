"""What the demo builders of every app share: the demo's password, its district staff
logins and a login as the demo command lists it (the demo's accounts are made by
``orgs.demo.demo_user``, which records them for the production start's check).

The builders themselves live beside their apps (``web/demo.py`` builds the tree, the staff
and the people, then calls ``nominations/demo.py`` and ``perks/demo.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from unittest import mock

from django.utils import timezone

from gonghui.common.workdays import SHANGHAI

DEMO_PASSWORD = "Gonghui@2026"  # noqa: S105 — documented in README, demo only
# The district staff logins (district, street and grassroots posts under each), by the
# district's code.
DISTRICT_USERS = {
    "110105": "chaoyang",
    "110108": "haidian",
    "110101": "dongcheng",
    "JKQ": "yizhuang",
}


@dataclass
class Login:
    username: str
    role: str
    unit: str


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Run the services as at ``moment``, to replay a past step by step through them: their
    rules read ``django.utils.timezone.now``, and so do the times they write. Only that clock
    is set back: the audit events keep the real time they were written at
    (``audit.services.record`` reads ``datetime.now``). Process-wide: for the
    single-threaded demo command only."""
    with mock.patch.object(timezone, "now", new=lambda: moment):
        yield


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in Beijing."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)
