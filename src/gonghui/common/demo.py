"""What the demo builders of every app share: the demo's password, its district staff
logins, a login as the demo command lists it, and a demo login made with the password.

The builders themselves live beside their apps (``web/demo.py`` builds the tree, the staff
and the people, then calls ``nominations/demo.py`` and ``perks/demo.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model

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


def demo_user(username: str, full_name: str):
    User = get_user_model()
    user = User(username=username, first_name=full_name)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user
