"""Reads of people and memberships, already limited to the actor's scope."""

from django.db.models import QuerySet

from gonghui.orgs import access
from gonghui.people.models import Membership, Person

PERSON_SORTS = {
    "name": "name",
    "-name": "-name",
    "birth": "birth_date",
    "-birth": "-birth_date",
    "id": "pk",
    "-id": "-pk",
}


def person_list(*, actor, query: str = "", sort: str = "id") -> QuerySet[Person]:
    qs = access.restrict(
        Person.objects.select_related("org_unit"), actor, "people.view", self_via="user"
    )
    if query:
        qs = qs.filter(name__contains=query.strip()[:60])
    return qs.order_by(PERSON_SORTS.get(sort, "pk"), "pk")


def person_get(*, actor, pk) -> Person:
    return access.get_or_404(
        Person.objects.select_related("org_unit"), actor, "people.view", self_via="user", pk=pk
    )


def membership_list(*, actor, person: Person) -> QuerySet[Membership]:
    return access.restrict(
        Membership.objects.filter(person=person).select_related("org_unit"), actor, "people.view"
    ).order_by("-joined_on")
