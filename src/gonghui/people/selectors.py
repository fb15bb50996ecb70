"""Reads of people and memberships, already limited to the actor's scope."""

from django.db.models import QuerySet

from gonghui.orgs import access
from gonghui.people import search
from gonghui.people.models import PUBLIC_FIELDS, Membership, Person

PERSON_SORTS = {
    "name": "name",
    "-name": "-name",
    "birth": "birth_date",
    "-birth": "-birth_date",
    "id": "pk",
    "-id": "-pk",
}


def person_list(*, actor, query: str = "", sort: str = "") -> QuerySet[Person]:
    """People in the actor's scope. ``query`` searches them as every people search does
    (``people.search``: name, pinyin, initials, employer), best match first unless ``sort``
    names an order; without a query, by ``sort`` (by id if it names none)."""
    people = Person.objects.select_related("org_unit")
    if (query or "").strip():
        found = search.search_people(
            people,
            query,
            scope=lambda via, self_via: access.scope_q(
                actor, "people.view", via=via, self_via=self_via
            ),
            narrowed=False,
        )
        return found.order_by(PERSON_SORTS[sort], "pk") if sort in PERSON_SORTS else found
    qs = access.restrict(people, actor, "people.view", self_via="user")
    return qs.order_by(PERSON_SORTS.get(sort, "pk"), "pk")


def person_get(*, actor, pk) -> Person:
    return access.get_or_404(
        Person.objects.select_related("org_unit"), actor, "people.view", self_via="user", pk=pk
    )


def membership_list(*, actor, person: Person) -> QuerySet[Membership]:
    return access.restrict(
        Membership.objects.filter(person=person).select_related("org_unit"), actor, "people.view"
    ).order_by("-joined_on")


def public_profile(person: Person) -> dict[str, str]:
    """What the public may see of ``person``, as displayed: only the fields the person
    consented to show (``access.public_fields``), each rendered as text ("" when empty)."""
    shown = access.consented(person, PUBLIC_FIELDS)
    display = {
        "name": lambda: person.name,
        "gender": person.get_gender_display,
        "birth_year": lambda: f"{person.birth_date.year}年" if person.birth_date else "",
        "org_unit": lambda: person.org_unit.name,
        "employer": lambda: person.employer.name if person.employer_id else "",
        "trade": lambda: person.trade.name if person.trade_id else "",
        "deeds": lambda: "yes",
        "portrait": lambda: "yes" if person.portrait_id or person.video_url else "",
    }
    return {key: display[key]() for key in shown}
