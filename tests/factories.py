"""Test data built through the same paths the platform uses."""

from datetime import date

from django.contrib.auth import get_user_model

from gonghui.orgs.models import OrgUnit, Post, Role, segment
from gonghui.people import search
from gonghui.people.models import Person

PASSWORD = "Test-passw0rd"
VALID_IDS = [
    "11010519491231002X",
    "110101199003070038",
    "110108198001010015",
    "110105200001010016",
    "110102197506150029",
]


def make_unit(parent: OrgUnit, level: str, code: str, name: str) -> OrgUnit:
    parent.refresh_from_db()
    n = parent.child_count + 1
    OrgUnit.objects.filter(pk=parent.pk).update(child_count=n)
    return OrgUnit.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=parent.path + segment(n),
        depth=parent.depth + 1,
    )


def make_user(username: str, unit: OrgUnit | None, role: str | None, scope: str = "subtree"):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    if unit is not None:
        Post.objects.create(user=user, org_unit=unit, role=Role.objects.get(code=role), scope=scope)
    return user


def make_person(unit: OrgUnit, name: str = "赵郁", id_number: str | None = None, **extra) -> Person:
    person = Person(
        name=name,
        org_unit=unit,
        id_number=id_number,
        no_id_reason="" if id_number else "历史档案无身份证号",
        birth_date=extra.pop("birth_date", date(1980, 1, 1)),
        **extra,
    )
    person.save()
    search.index_person(person)  # as every path that writes a person does
    return person
