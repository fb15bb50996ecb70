"""Reads of registration: the public join page's competition, the organiser's table of
entrants (scoped; ID numbers and phones never leave here unmasked), the people a union may
nominate, and the entrant's own entries with the results that concern them, only as
``visibility.public_results()`` lets the public see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from gonghui.common.errors import NotFound
from gonghui.contests.models import Competition, Entrant, Result, Stage
from gonghui.contests.setup.selectors import competition_get
from gonghui.contests.visibility import public_results
from gonghui.orgs import access
from gonghui.people.models import Person
from gonghui.people.search import matching_q
from gonghui.people.selectors import member_person

ENTRANT_SORTS = {
    "number": "number",
    "-number": "-number",
    "name": "person__name_sort",
    "-name": "-person__name_sort",
    "age": "age",
    "-age": "-age",
    "registered": "registered_at",
    "-registered": "-registered_at",
}


def public_competition(pk) -> Competition:
    """A competition the public may see (any but a draft): its join page."""
    competition = (
        Competition.objects.select_related("programme", "org_unit", "trade")
        .exclude(status=Competition.Status.DRAFT)
        .filter(pk=pk)
        .first()
    )
    if competition is None:
        raise NotFound()
    return competition


def registration_open(competition: Competition, now) -> bool:
    """Whether the join page offers its form (the service decides, and says why not)."""
    return (
        competition.status == Competition.Status.OPEN
        and competition.registration_closed_at is None
        and competition.registration_opens_at <= now < competition.registration_closes_at
    )


def may_at(actor, competition: Competition, perm: str) -> bool:
    """Whether the actor holds ``perm`` at the competition's organiser (what its pages
    offer; the services decide)."""
    return access.can_at(actor, perm, competition.org_unit)


def entrant_list(
    *, actor, competition_pk, status: str = "", route: str = "", q: str = "", sort: str = ""
) -> QuerySet[Entrant]:
    """The entrants of a competition in the actor's scope, filtered and sorted (by number
    unless ``sort`` says otherwise, ``ENTRANT_SORTS``)."""
    competition = competition_get(actor, competition_pk)
    qs = Entrant.objects.filter(competition=competition).select_related(
        "person", "employer", "nominated_by"
    )
    if status:
        qs = qs.filter(status=status)
    if route:
        qs = qs.filter(route=route)
    q = (q or "").strip()
    if q:
        qs = qs.filter(matching_q(q, via="person_id") | Q(employer__name__contains=q))
    return qs.order_by(ENTRANT_SORTS.get(sort, "number"), "pk")


def nominable_people(*, actor, q: str = "") -> QuerySet[Person]:
    """People a union may nominate: in the actor's ``contests.nominate`` scope, live
    records, by name (the first 30)."""
    q = (q or "").strip()
    if not q:
        return Person.objects.none()
    return (
        access.restrict(Person.objects.with_related(), actor, "contests.nominate")
        .filter(matching_q(q), merged_into__isnull=True)
        .order_by("name_sort", "pk")[:30]
    )


def nominable_person(*, actor, pk) -> Person:
    return access.get_or_404(
        Person.objects.select_related("org_unit", "employer"), actor, "contests.nominate", pk=pk
    )


# --- The entrant's own ---------------------------------------------------------------------


def own_entry_q(person: Person) -> Q:
    """The person's own entries: made under their record, or under a record since merged
    into it (the one rule for the pages and for ``entrant_withdraw``)."""
    return Q(person=person) | Q(person__merged_into=person)


def is_own_entry(user, entrant: Entrant) -> bool:
    person = member_person(user)
    return (
        person is not None and Entrant.objects.filter(own_entry_q(person), pk=entrant.pk).exists()
    )


def _mine(user) -> QuerySet[Entrant]:
    person = member_person(user)
    if person is None:
        return Entrant.objects.none()
    return Entrant.objects.filter(own_entry_q(person))


def _with_public_results(qs: QuerySet[Entrant]) -> QuerySet[Entrant]:
    shown = public_results().select_related("stage").order_by("stage__order")
    return qs.select_related(
        "competition__programme", "competition__trade", "employer"
    ).prefetch_related(Prefetch("results", queryset=shown, to_attr="public_results"))


# Statuses that follow from results: while the board is frozen they would tell what the
# results hold back, so the entrant reads "参赛中" until the reveal.
FROM_RESULTS = {
    Entrant.Status.SEED,
    Entrant.Status.OUT,
    Entrant.Status.TITLED,
    Entrant.Status.NOMINEE,
}
WHILE_FROZEN = "参赛中（成绩待公布）"


def shown_status(entrant: Entrant) -> str:
    """The entrant's status as the entrant (and the public) may read it."""
    if entrant.competition.frozen and entrant.status in FROM_RESULTS:
        return WHILE_FROZEN
    return entrant.get_status_display()


STILL_IN = {Entrant.Status.REGISTERED, Entrant.Status.COMPETING, Entrant.Status.SEED}


def _shown(entrants):
    for entrant in entrants:
        entrant.shown_status = shown_status(entrant)
        # Offered while still in; never while the board is frozen (the service refuses
        # every withdrawal then, alike, so the offer tells no hidden status either).
        entrant.may_withdraw = entrant.status in STILL_IN and not entrant.competition.frozen
    return entrants


def my_entries(user) -> list[Entrant]:
    """The member's entries, newest first, each with ``public_results``: the results the
    public may see (a frozen or superseded result never) and ``shown_status``."""
    return _shown(list(_with_public_results(_mine(user)).order_by("-registered_at", "-pk")))


@dataclass
class EntryPage:
    entrant: Entrant
    results: list[Result]
    stages: list[Stage]


def my_entry(user, pk) -> EntryPage:
    """One of the member's own entries (NotFound for anyone else's)."""
    try:
        entrant = _with_public_results(_mine(user)).get(pk=pk)
    except (Entrant.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    _shown([entrant])
    stages = list(Stage.objects.filter(competition_id=entrant.competition_id).order_by("order"))
    return EntryPage(entrant=entrant, results=entrant.public_results, stages=stages)
