"""Training fixtures shared by every feature's tests: members with logins in both districts,
and Chaoyang's 工匠讲堂 with one session open for enrolment now (made directly, as the
course pages would save them)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from gonghui.people.models import Person
from gonghui.training.models import Course, Session
from tests.factories import make_member


@dataclass
class Members:
    """Members with logins: two of Chaoyang's company union, one of Haidian's."""

    cy1: Person
    cy2: Person
    hd1: Person


@pytest.fixture
def members(tree):
    return Members(
        cy1=make_member(tree.cy_grass, "王建国", username="m_cy1"),
        cy2=make_member(tree.cy_grass, "李秀英", username="m_cy2"),
        hd1=make_member(tree.hd_grass, "张伟", username="m_hd1"),
    )


def make_session(course: Course, seq: int = 1, *, capacity: int = 30, audience=None, **extra):
    """A session of ``course`` starting in two days, its enrolment window open now."""
    now = timezone.now()
    fields = {
        "title": f"第{seq}期",
        "place": "首都工匠学院实训楼",
        "starts_at": now + timedelta(days=2),
        "ends_at": now + timedelta(days=2, hours=2),
        "enrol_opens_at": now - timedelta(days=1),
        "enrol_closes_at": now + timedelta(days=1),
        **extra,
    }
    return Session.objects.create(
        course=course,
        org_unit=course.org_unit,
        seq=seq,
        capacity=capacity,
        audience=audience,
        **fields,
    )


@pytest.fixture
def lecture(tree, users):
    """Chaoyang's published 工匠讲堂 with its first session (30 seats, open to Chaoyang)."""
    course = Course.objects.create(
        name="工匠讲堂",
        kind=Course.Kind.LECTURE,
        org_unit=tree.chaoyang,
        partner="首都工匠学院",
        status=Course.Status.PUBLISHED,
        created_by=users.cy,
    )
    make_session(course, audience=tree.chaoyang)
    return course
