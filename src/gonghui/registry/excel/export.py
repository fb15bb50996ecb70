"""The registry's export: the people a search finds, one row per award, in the sheet the
import reads back (a row's 记录ID names its record). Streamed, masked unless revealed,
audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from itertools import islice

from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import pii
from gonghui.common.errors import Forbidden
from gonghui.common.sheets import text_cell, write_only_book
from gonghui.orgs import access
from gonghui.people.models import Person
from gonghui.registry.excel.columns import AWARD_KEYS, COLUMNS, NO, SHEET, YES, column_width
from gonghui.registry.models import Award
from gonghui.registry.selectors import PersonFilters, matching_awards, person_search

EXPORT_CHUNK = 1000
WIDTHS = {i: column_width(k) for i, k in enumerate(COLUMNS, start=1)}


def _awards_of(people: list[Person], filters: PersonFilters) -> dict[int, list[tuple]]:
    """The exported awards of a chunk of people: person id -> [(award, category names)],
    in the order of the file. Read by two plain queries, not ``prefetch_related``: a
    prefetch links each award back to its person and each category list back to its award,
    reference cycles that only the garbage collector frees, so the export's memory rose
    with its rows (by ~100 bytes a row, up to a fifth of the process) instead of staying
    that of one chunk."""
    awards = list(
        matching_awards(filters)
        .filter(person_id__in=[p.pk for p in people])
        .select_related("honour")
        .order_by("year", "honour__sort", "pk")
    )
    tags: dict[int, list[str]] = {}
    links = Award.categories.through.objects.filter(award_id__in=[a.pk for a in awards])
    for award_id, name in links.order_by("category_id").values_list("award_id", "category__name"):
        tags.setdefault(award_id, []).append(name)
    found: dict[int, list[tuple]] = {}
    for award in awards:
        found.setdefault(award.person_id, []).append((award, tags.get(award.pk, [])))
    return found


def _person_cells(person: Person, reveal: bool) -> list[str]:
    def protected(kind: str, value: str | None) -> str:
        return (value or "") if reveal else pii.mask(kind, value)

    return [
        str(person.pk),
        person.name,
        person.get_gender_display() if person.gender else "",
        person.birth_date.isoformat() if person.birth_date else "",
        protected("id_number", person.id_number),
        person.no_id_reason,
        protected("phone", person.phone),
        person.org_unit.code,
        person.employer.name if person.employer_id else "",
        person.employer.credit_code if person.employer_id else "",
        person.post_title,
        person.get_rank_display() if person.rank else "",
        YES if person.is_front_line else NO,
        person.trade.name if person.trade_id else "",
        person.get_skill_level_display() if person.skill_level else "",
        person.get_status_display(),
    ]


def _award_cells(award: Award | None, categories: list[str]) -> list[str]:
    if award is None:
        return [""] * len(AWARD_KEYS)
    return [award.honour.name, str(award.year), award.batch, "、".join(categories), award.deeds]


def registry_export(
    *,
    actor,
    out,
    filters: PersonFilters,
    reveal: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the people the actor's search finds (current filters, data scope, and the
    export permission's scope) to ``out`` (a binary file) as .xlsx, one row per award;
    returns the number of rows. Streams: a write-only workbook fed by a chunked iterator,
    so memory stays that of one chunk of people whatever the rows (``_awards_of``).
    ``progress(people done, people in all)`` is called chunk by chunk and at the end (the
    pages run the export as a job: ``services.registry_export_start``).

    Resident IDs and phones are masked unless ``reveal`` and the actor may see them in the
    person's node (``people.view_pii``); each person so revealed is recorded as a
    ``pii.reveal`` event, and the export as one ``registry.export`` event."""
    if not access.can(actor, "registry.export"):
        raise Forbidden("没有导出档案的权限")
    reveal = reveal and access.can(actor, "people.view_pii")
    people = person_search(actor=actor, filters=filters).filter(
        access.scope_q(actor, "registry.export")
    )
    total = people.count() if progress else 0
    book, ws = write_only_book(SHEET, COLUMNS.values(), WIDTHS)
    rows, count, shown = 0, 0, []
    found = people.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(found, EXPORT_CHUNK)):
        if progress:
            progress(count, total)
        awards = _awards_of(chunk, filters)
        for person in chunk:
            show = reveal and access.can_at(actor, "people.view_pii", person.org_unit)
            cells = _person_cells(person, show)
            for award, categories in awards.get(person.pk) or [(None, [])]:
                ws.append([text_cell(ws, v) for v in cells + _award_cells(award, categories)])
                rows += 1
            count += 1
            if show and (person.id_number or person.phone):
                shown.append(person)
        if len(shown) >= EXPORT_CHUNK:
            _record_reveals(actor, shown)
            shown = []
        del chunk, awards  # only one chunk in memory while the next is read
    _record_reveals(actor, shown)
    if progress:
        progress(count, total)
    book.save(out)
    home = access.home_grant(actor, "registry.export")
    record(
        actor=actor,
        action=Action.REGISTRY_EXPORT,
        object_type="people.person",
        post_id=home.post_id if home else None,
        changes={
            "filters": [None, {k: v for k, v in asdict(filters).items() if v}],
            "rows": [None, rows],
            "people": [None, count],
            "reveal": [None, reveal],
        },
    )
    return rows


def _record_reveals(actor, people: list[Person]) -> None:
    """One ``pii.reveal`` event per person whose full ID or phone went into the file (as
    ``person_reveal`` records a view on the page), a chunk per transaction."""
    if not people:
        return
    with transaction.atomic():
        for person in people:
            grant = access.grant_at(actor, "people.view_pii", person.org_unit)
            fields = [f for f in ("id_number", "phone") if getattr(person, f)]
            record(
                actor=actor,
                action=Action.PII_REVEAL,
                obj=person,
                post_id=grant.post_id if grant else None,
                changes={"field": [None, ",".join(fields)], "via": [None, "registry.export"]},
            )
