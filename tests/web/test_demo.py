"""`gonghui demo`: the staff logins, a registry across the catalogue, and the two campaigns
(one finished with its awards, one in its first notice with an open objection)."""

from io import StringIO

import pytest
from django.core.management import call_command

from gonghui.common.demo import demo_user
from gonghui.nominations.models import Campaign, Objection
from gonghui.nominations.selectors import notice_open
from gonghui.nominations.workflow import State
from gonghui.people.models import Person
from gonghui.registry.models import Award, Honour
from tests.demo import demo_built


def demo(**options) -> list[str]:
    out = StringIO()
    call_command("demo", stdout=out, **options)
    return out.getvalue().splitlines()


@pytest.fixture(scope="module")
def first_run(django_db_setup, django_db_blocker):
    """The demo built once at its default size for the module's tests: what it printed."""
    with demo_built(django_db_blocker, people=1000) as printed:
        yield printed


def test_demo_builds_registry_and_campaigns(first_run, db):
    honours_given = set(Award.objects.values_list("honour__code", flat=True))
    assert honours_given == set(Honour.objects.values_list("code", flat=True))
    finished, running = Campaign.objects.order_by("year")
    assert finished.status == Campaign.Status.CLOSED
    approved = finished.nominations.filter(state=State.APPROVED)
    assert approved.count() == 4
    assert Award.objects.filter(honour=finished.honour, year=finished.year).count() >= 4
    assert set(finished.notices.values_list("stage", flat=True)) == {"first", "second", "final"}
    assert running.status == Campaign.Status.OPEN
    assert running.nominations.filter(state=State.FIRST_NOTICE).count() == 6
    assert all(notice_open(n) for n in running.notices.all())
    assert (
        Objection.objects.filter(
            nomination__campaign=running, status=Objection.Status.RECEIVED
        ).count()
        == 2
    )


def test_the_demo_run_again_adds_nothing_and_shows_the_logins(first_run, db):
    first = first_run
    # `make run` again: the demo is there, so nothing is added and the logins are shown.
    people = Person.objects.count()
    again = demo(people=1000)
    assert Person.objects.count() == people
    assert again[0].startswith(f"演示数据已存在（{people} 名人员），未重复生成")
    logins = first[first.index("演示账号（密码均为 Gonghui@2026）：") :]
    # staff, member, counter, the contests' judge and notary
    assert again[1:] == logins and len(logins) == 1 + 3 + 4 * 3 + 2 + 2
    assert {line.split()[0] for line in logins[1:]} >= {
        "admin",
        "chaoyang_jc",
        "huiyuan",
        "caipan",
        "gongzheng",
    }


def test_benchmarks_add_people_only_when_asked(first_run, db):
    people = Person.objects.count()
    assert demo(people=7, add=True) == ["演示数据已存在，已追加 7 名人员。"]
    assert Person.objects.count() == people + 7


def test_a_demo_stopped_half_way_is_named_not_taken_for_the_demo(db):
    # The first run was stopped after its tree and staff (Ctrl-C in `make run`): the next
    # run neither says the demo exists nor builds a second one on top of the first half.
    demo_user("admin", "市总管理员")
    people = Person.objects.count()
    err = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("demo", people=5, stdout=StringIO(), stderr=err)
    assert stopped.value.code == 1
    assert err.getvalue().startswith("演示数据不完整：上次生成在中途停止")
    assert Person.objects.count() == people
