"""Reads of people and memberships, already limited to the actor's scope."""

from django.db.models import QuerySet

from gonghui.common.errors import NotFound
from gonghui.orgs import access
from gonghui.people.models import PUBLIC_FIELDS, Membership, Person, TransferRequest

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


def transfer_requests_to_decide(*, actor, status: str = "pending") -> QuerySet[TransferRequest]:
    """Transfer requests the actor decides: those whose deciding union (the lowest above
    both places) is within their ``people.change`` scope and whose person they already
    see (a post limited to its own node never learns of a record below it); oldest first."""
    qs = access.restrict(
        TransferRequest.objects.select_related(
            "person__org_unit", "to_unit", "decider", "requested_by", "decided_by"
        ),
        actor,
        "people.change",
        via="decider",
    ).filter(access.scope_q(actor, "people.view", via="person__org_unit"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("created_at", "pk")


def transfer_request_get(*, actor, pk) -> TransferRequest:
    try:
        return transfer_requests_to_decide(actor=actor, status="").get(pk=pk)
    except (TransferRequest.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def transfer_requests_mine(*, actor) -> QuerySet[TransferRequest]:
    """The actor's own requests, newest first: what they asked and how it ended, never
    where the record was."""
    return (
        TransferRequest.objects.filter(requested_by=actor)
        .select_related("to_unit")
        .order_by("-created_at", "-pk")
    )
