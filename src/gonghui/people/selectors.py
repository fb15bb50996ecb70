"""Reads of people and memberships, already limited to the actor's scope."""

from django.db.models import Q, QuerySet

from gonghui.common.errors import NotFound
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import (
    PUBLIC_FIELDS,
    Membership,
    Person,
    Trade,
    TransferRequest,
    Unit,
)

PERSON_SORTS = {
    "name": "name",
    "-name": "-name",
    "birth": "birth_date",
    "-birth": "-birth_date",
    "id": "pk",
    "-id": "-pk",
}


def member_person(user) -> Person | None:
    """The person a login belongs to (``Person.user``), the record kept for one merged into
    another (registry.merging); None for an account with no person (staff, counters)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    person = Person.objects.filter(user=user).select_related("org_unit", "employer").first()
    if person is not None and person.merged_into_id:
        person = Person.objects.select_related("org_unit", "employer").get(pk=person.merged_into_id)
    return person


class Merged(NotFound):
    """A record merged into another (registry.merging): a redirect, kept only for the
    merge's undo, that no page lists and no service writes. ``survivor_id``: the record
    kept, when the actor may see it (else None, and nothing is said of it)."""

    def __init__(self, survivor_id: int | None):
        if survivor_id:
            message = f"该档案已合并到档案 {survivor_id}，请在保留的档案上查看和办理"
        else:
            message = "该档案已合并到另一份档案（不在您的管理范围内），不能再查看或修改"
        super().__init__(message)
        self.code, self.survivor_id = "merged", survivor_id
        self.details = {"merged_into": survivor_id} if survivor_id else {}


def live(person: Person, *, actor, perm: str) -> Person:
    """``person``, or ``Merged`` if the record was merged into another: a detail page
    sends staff to the record kept (if ``perm`` lets them see it)."""
    if not person.merged_into_id:
        return person
    kept = access.restrict(
        Person.objects.filter(pk=person.merged_into_id), actor, perm, self_via="user"
    )
    raise Merged(person.merged_into_id if kept.exists() else None)


def person_list(
    *, actor, query: str = "", sort: str = "", org: OrgUnit | None = None
) -> QuerySet[Person]:
    """People in the actor's scope (and in ``org``'s subtree, if given). ``query`` searches
    them as every people search does (``people.search``: name, pinyin, initials, employer),
    best match first unless ``sort`` names an order; without a query, by ``sort`` (by id if
    it names none)."""
    people = Person.objects.select_related("org_unit")
    within = (lambda via: access.subtree_q(org, via=via)) if org is not None else (lambda via: Q())
    if (query or "").strip():
        # The subtree joins the scope, on the same rows (the search keys carry the path).
        found = search.search_people(
            people,
            query,
            scope=lambda via, self_via: (
                access.scope_q(actor, "people.view", via=via, self_via=self_via) & within(via)
            ),
            narrowed=False,
        )
        return found.order_by(PERSON_SORTS[sort], "pk") if sort in PERSON_SORTS else found
    # Records merged into another are not listed (nor searched: they have no keys).
    live_people = people.filter(merged_into__isnull=True).filter(within("org_unit"))
    qs = access.restrict(live_people, actor, "people.view", self_via="user")
    return qs.order_by(PERSON_SORTS.get(sort, "pk"), "pk")


def person_get(*, actor, pk) -> Person:
    """One person in scope; ``Merged`` for a record merged into another."""
    person = access.get_or_404(
        Person.objects.select_related("org_unit"), actor, "people.view", self_via="user", pk=pk
    )
    return live(person, actor=actor, perm="people.view")


def membership_list(*, actor, person: Person) -> QuerySet[Membership]:
    return access.restrict(
        Membership.objects.filter(person=person).select_related("org_unit"), actor, "people.view"
    ).order_by("-joined_on")


def public_profile(person: Person) -> dict[str, str]:
    """What the public may see of ``person``, as displayed: only the fields the person
    consented to show (``access.consented``), each rendered as text ("" when empty)."""
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


def employer_choices(*, actor) -> QuerySet[Unit]:
    """The employers a person's record may name: those in the actor's ``people.view``
    scope, by name."""
    return access.restrict(Unit.objects.all(), actor, "people.view").order_by("name")


def trade_list() -> QuerySet[Trade]:
    """The catalogue of trades (工种), the same for everyone."""
    return Trade.objects.all()
