"""The courses demo inside the real (small) demo: the 工匠讲堂 series at 亦庄 with its past
sessions attended and certified, and an upcoming session full with a waitlist."""

import pytest

from gonghui.training.models import Attendance, Certificate, Course, Enrolment
from tests.demo import demo_built


@pytest.fixture(scope="module")
def demo(django_db_blocker):
    with demo_built(django_db_blocker, people=1000) as printed:
        yield printed


@pytest.mark.django_db
def test_the_lecture_series_of_the_demo(demo):
    course = Course.objects.get(name="工匠讲堂", org_unit__code="JKQ")
    assert course.status == "published" and course.partner == "首都工匠学院"
    sessions = list(course.sessions.order_by("seq"))
    assert len(sessions) == 12
    past, upcoming = sessions[:11], sessions[11]
    assert all(s.modes == "现场观摩+理论授课+实训操作" for s in past)
    attended = Attendance.objects.filter(session__in=past).count()
    assert attended > 0.9 * sum(s.capacity for s in past)
    assert Certificate.objects.filter(attendance__session__in=past).count() == attended
    assert upcoming.seated == upcoming.capacity
    assert Enrolment.objects.filter(session=upcoming, status="waitlisted").count() == 5
    assert any("工匠讲堂" in line for line in demo)
