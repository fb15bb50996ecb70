"""`gonghui demo` after a first run stopped half-way (its own module: the others hold the
whole demo)."""

from io import StringIO

import pytest
from django.core.management import call_command

from gonghui.orgs.demo import demo_user
from gonghui.people.models import Person


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
