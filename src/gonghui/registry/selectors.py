"""Reads of the registry, limited to the actor's scope (or to the public's consent)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from gonghui.common.errors import NotFound
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people import search
from gonghui.people.models import Person, Unit
from gonghui.people.selectors import live
from gonghui.registry.models import Award, Category, Honour, Merge


@dataclass
class PersonFilters:
    """The registry search's filters; all optional, all combinable."""

    query: str = ""
    honour: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    org_unit: int | None = None
    trade: int | None = None
    category: int | None = None
    status: str = ""


def matching_awards(f: PersonFilters) -> QuerySet[Award]:
    """Active awards meeting the filters' honour, year range and category."""
    awards = Award.objects.filter(status=Award.Status.ACTIVE)
    if f.honour:
        awards = awards.filter(honour_id=f.honour)
    if f.year_from:
        awards = awards.filter(year__gte=f.year_from)
    if f.year_to:
        awards = awards.filter(year__lte=f.year_to)
    if f.category:
        awards = awards.filter(categories__id=f.category)
    return awards


def _filtered(
    qs: QuerySet[Person], f: PersonFilters, *, public: bool, scope: Callable[[str, str], Q] | None
) -> QuerySet[Person]:
    qs = qs.filter(merged_into__isnull=True)
    if f.honour or f.year_from or f.year_to or f.category:
        qs = qs.filter(Exists(matching_awards(f).filter(person=OuterRef("pk"))))
    if f.org_unit:
        org_unit = OrgUnit.objects.filter(pk=f.org_unit).first()
        if org_unit is None:
            return qs.none()
        qs = qs.filter(access.subtree_q(org_unit, via="org_unit"))
    if f.trade:
        qs = qs.filter(trade_id=f.trade)
    if f.status:
        qs = qs.filter(status=f.status)
    narrowed = public or any(
        (f.honour, f.year_from, f.year_to, f.category, f.org_unit, f.trade, f.status)
    )
    return search.search_people(qs, f.query, public=public, scope=scope, narrowed=narrowed)


def person_search(*, actor, filters: PersonFilters) -> QuerySet[Person]:
    """Staff search: only people in the actor's scope."""
    return _filtered(
        Person.objects.with_related(),
        filters,
        public=False,
        scope=lambda via, self_via: access.scope_q(
            actor, "registry.view", via=via, self_via=self_via
        ),
    )


def count_cap(filters: PersonFilters) -> int | None:
    """How far a search page counts its matches (a query's count stops at the cap)."""
    return search.count_cap(filters.query)


def public_search(*, filters: PersonFilters) -> QuerySet[Person]:
    """The honour wall's search: consenting people with an active award, public keys only."""
    qs = (
        Person.objects.with_related()
        .filter(access.public_q())
        .filter(Exists(Award.objects.filter(person=OuterRef("pk"), status=Award.Status.ACTIVE)))
    )
    return _filtered(qs, filters, public=True, scope=None)


def public_person(pk) -> Person | None:
    """One person of the honour wall (``public_search``), or None if they are not on it."""
    return public_search(filters=PersonFilters()).filter(pk=pk).first()


def person_get(*, actor, pk) -> Person:
    """One person's record in scope; ``Merged`` for a record merged into another."""
    person = access.get_or_404(
        Person.objects.with_related(),
        actor,
        "registry.view",
        self_via="user",
        pk=pk,
    )
    return live(person, actor=actor, perm="registry.view")


def _look_alikes_anywhere(person: Person) -> QuerySet[Person]:
    """Records that look like the same person, in anyone's scope: the same ID number
    (blind index), or the same name, birth date and employer."""
    q = Q(pk__in=[])
    if person.id_number_index:  # the stored index: a stored number is never re-validated
        q |= Q(id_number_index=person.id_number_index)
    if person.birth_date and person.employer_id:
        q |= Q(name=person.name, birth_date=person.birth_date, employer_id=person.employer_id)
    return Person.objects.filter(q, merged_into__isnull=True).exclude(pk=person.pk)


def look_alikes(*, actor, person: Person) -> tuple[list[Person], int]:
    """The records that look like ``person`` which ``actor`` may see in the registry, and
    how many more lie outside their scope: those are counted, never shown."""
    anywhere = _look_alikes_anywhere(person)
    seen = list(
        access.restrict(anywhere, actor, "registry.view", self_via="user").select_related(
            "org_unit"
        )
    )
    return seen, anywhere.count() - len(seen)


def look_alikes_exist(person: Person) -> bool:
    """Whether any record looks like ``person``, in scope or out of it (a yes or no only)."""
    return _look_alikes_anywhere(person).exists()


def may_unmerge(actor) -> bool:
    """Whether ``actor`` may undo merges: the city's administrators only."""
    return access.can_citywide(actor, "registry.unmerge")


def merge_get(*, actor, pk) -> Merge:
    """One merge, for those who may undo it (``may_unmerge``); ``NotFound`` for others."""
    merge = Merge.objects.filter(pk=pk).select_related("survivor").first()
    if merge is None or not may_unmerge(actor):
        raise NotFound()
    return merge


def merges_into(person: Person) -> QuerySet[Merge]:
    """The merges that ``person``'s record kept (and were not undone), newest first: the
    page reached through the record shows what each carried over and what stayed."""
    return Merge.objects.filter(survivor=person, reversed_at__isnull=True).order_by("-merged_at")


def _awards_listed() -> QuerySet[Award]:
    """Awards as a person's record lists them: by year, then the honour's rank."""
    return (
        Award.objects.select_related("honour")
        .prefetch_related("categories")
        .order_by("year", "honour__sort")
    )


def awards_of(person: Person) -> QuerySet[Award]:
    return _awards_listed().filter(person=person)


def active_awards_of(person: Person) -> QuerySet[Award]:
    """``person``'s awards that stand (none revoked): what the honour wall lists."""
    return awards_of(person).filter(status=Award.Status.ACTIVE)


def with_awards(people):
    """``people`` (a queryset or a list) with their awards as ``awards_of`` lists them, in
    three queries however many people: a list shows each row's honours without a query
    per row."""
    prefetch = Prefetch("awards", queryset=_awards_listed())
    if isinstance(people, QuerySet):
        return people.prefetch_related(prefetch)
    prefetch_related_objects(people, prefetch)
    return people


def award_list(*, actor) -> QuerySet[Award]:
    """Awards whose holder (person or collective) is in scope now: an award follows its
    holder when the person moves to another union."""
    scope = access.scope_q(actor, "registry.view", via="person__org_unit") | access.scope_q(
        actor, "registry.view", via="unit__org_unit"
    )
    return Award.objects.filter(scope).select_related("honour", "person", "unit")


def award_get(*, actor, pk, held_by_person: bool = False) -> Award:
    """One award whose holder is in scope (``award_list``), held by a person if
    ``held_by_person``; ``NotFound`` otherwise."""
    awards = award_list(actor=actor).filter(pk=pk)
    if held_by_person:
        awards = awards.filter(person__isnull=False)
    award = awards.first()
    if award is None:
        raise NotFound()
    return award


def employer_list(*, actor, query: str = "") -> QuerySet[Unit]:
    """Employers and collectives (``people.Unit``: units, teams, departments) in scope,
    by name; ``query`` searches their names."""
    qs = access.restrict(Unit.objects.select_related("org_unit"), actor, "registry.view")
    if query.strip():
        qs = qs.filter(name__contains=query.strip()[:60])
    return qs.order_by("name", "pk")


def employer_get(*, actor, pk) -> Unit:
    """One employer or collective in scope; ``NotFound`` otherwise."""
    employer = employer_list(actor=actor).filter(pk=pk).first()
    if employer is None:
        raise NotFound()
    return employer


def honour_list() -> QuerySet[Honour]:
    return Honour.objects.select_related("conferring_unit").order_by("sort", "pk")


def honour_find(pk) -> Honour | None:
    """The catalogue's honour ``pk``, or None (the catalogue is public)."""
    return Honour.objects.filter(pk=pk).first()


def categories_find(codes) -> list[Category]:
    """The award categories of the given codes that exist (unknown codes are left out)."""
    return list(Category.objects.filter(code__in=codes))
