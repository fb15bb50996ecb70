"""Enrolment figure (issue #18): enrolling and computing entitlements for 1,000,000 members
against a rule set, within 5x of one plain aggregate query over the same rows.

Data, bulk-inserted by SQL into the bench's own database: ``members`` people (born
1950–2005) with active memberships spread over 400 grassroots unions of one district, and
a programme whose rule enrols every member aged 18 or more at the deadline (the age
predicate touches every row; all of them qualify) at a fixed amount.

Measured side by side, in turns:

- ``run_enrol``: the service as staff call it (a fresh run each time): the INSERT … SELECT
  of the eligible people into funds_entitlement, the aggregate of what it inserted, the one
  ledger row, the event;
- the plain aggregate: ``SELECT org_unit, COUNT(*), SUM(amount)`` over the same rows with
  the same joins (membership, person, union's subtree) and the same age predicate, grouped
  by union.

``full`` = 1,000,000 members, ``small`` = 100,000.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from measure import comparison, figure, make_user, note

from gonghui.funds.enrolment.services import run_create, run_enrol
from gonghui.funds.models import Budget, Programme, RuleVersion
from gonghui.orgs.models import OrgUnit, path_next, segment

AMOUNT = 50_000  # 500元
RULE = {"kind": "fixed", "amount": AMOUNT, "enrol": {"min_age": 18, "retired": False}}
UNIONS = 400
TARGET = 5.0


@dataclass(frozen=True)
class Scale:
    members: int
    reps: int


SCALES = {"small": Scale(members=100_000, reps=3), "full": Scale(members=1_000_000, reps=2)}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    vendor = connection.vendor
    district = OrgUnit.objects.get(code="110105")  # 朝阳
    start = time.perf_counter()
    unions = build_unions(district)
    build_members(unions, scale.members)
    analyze()
    note(f"{scale.members:,} members in {len(unions)} unions: {time.perf_counter() - start:.1f} s")
    staff = make_user("enrol_staff", district, "district_staff")
    programme = Programme.objects.create(
        code="bench-enrol", name="春节慰问金", kind="condolence", entry="enrol", org_unit=district
    )
    RuleVersion.objects.create(programme=programme, version=1, rule=RULE)
    Budget.objects.create(
        programme=programme, org_unit=district, year=2099, amount=AMOUNT * scale.members * 10
    )
    deadline = date(2099, 1, 30)
    cutoff = date(2099 - 18, 1, 30)

    def enrol() -> int:
        made = run_create(
            actor=staff,
            programme=programme,
            org_unit=district,
            name=f"bench {time.time_ns()}",
            year=2099,
            deadline=deadline,
        )
        return run_enrol(actor=staff, run=made).enrolled

    def aggregate() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT o.id, COUNT(*), SUM(CASE WHEN p.birth_date <= %s THEN %s ELSE 0 END)"
                " FROM people_membership m"
                " JOIN people_person p ON p.id = m.person_id"
                " JOIN orgs_orgunit o ON o.id = m.org_unit_id"
                " WHERE m.status = 'active' AND p.merged_into_id IS NULL"
                " AND o.path >= %s AND o.path < %s"
                " GROUP BY o.id",
                [cutoff.isoformat(), AMOUNT, district.path, path_next(district.path)],
            )
            return sum(n for _, n, _ in cursor.fetchall())

    calendar_year(2099)
    times: dict[str, list[float]] = {"enrol": [], "aggregate": []}
    for rep in range(scale.reps):
        for name, call in (("aggregate", aggregate), ("enrol", enrol)):
            begun = time.perf_counter()
            n = call()
            times[name].append(time.perf_counter() - begun)
            note(f"rep {rep + 1} {name}: {n:,} rows in {times[name][-1]:.2f} s")
            assert n == scale.members, f"{name} saw {n} rows, not {scale.members}"
    enrol_s = statistics.median(times["enrol"])
    aggregate_s = statistics.median(times["aggregate"])
    note(f"aggregate over the same rows: {aggregate_s:.2f} s (median of {scale.reps})")
    yield comparison(f"funds_enrol.aggregate_{vendor}", aggregate_s, "s", "ratio_to_aggregate", 1.0)
    yield figure(
        f"funds_enrol.run_enrol_{vendor}",
        enrol_s,
        "s",
        "ratio_to_aggregate",
        enrol_s / aggregate_s,
        TARGET,
    )


def calendar_year(year: int) -> None:
    """Mark the bench's year as known (deadlines are given; no holiday is needed)."""
    from gonghui.common.models import CalendarYear

    CalendarYear.objects.get_or_create(year=year, defaults={"source": "staff", "basis": "bench"})


def build_unions(district: OrgUnit) -> list[OrgUnit]:
    district.refresh_from_db()
    first = district.child_count + 1
    units = [
        OrgUnit(
            code=f"BENCH-E{n}",
            name=f"基准测试基层工会{n}",
            level="grassroots",
            parent=district,
            path=district.path + segment(first + n),
            depth=district.depth + 1,
        )
        for n in range(UNIONS)
    ]
    OrgUnit.objects.bulk_create(units)
    OrgUnit.objects.filter(pk=district.pk).update(child_count=first + UNIONS)
    return list(OrgUnit.objects.filter(code__startswith="BENCH-E").order_by("pk"))


def build_members(unions: list[OrgUnit], count: int) -> None:
    """``count`` people and their active memberships, by two INSERT … SELECT statements."""
    low, high = unions[0].pk, unions[-1].pk
    now = timezone.now().isoformat() if connection.vendor == "sqlite" else timezone.now()
    if connection.vendor == "postgresql":
        numbers = "SELECT generate_series(1, %s) AS i"
        birth = "DATE '1950-01-01' + ((i * 7919) %% 20000)::int"
        name = "'职工' || i"
    else:
        numbers = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)"
            " SELECT i FROM n"
        )
        birth = "date('1950-01-01', '+' || ((i * 7919) %% 20000) || ' days')"
        name = "'职工' || i"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO people_person (name, name_reading, name_sort, gender, birth_date,"
            " no_id_reason, org_unit_id, post_title, rank, is_front_line, skill_level, status,"
            " video_url, is_public, public_fields, created_at, updated_at)"
            f" SELECT {name}, '', 'zhigong' || i, '', {birth}, '基准测试', "
            f" %s + (i %% %s), '', '', false, '', 'in_post', '', false, '[]', %s, %s"
            f" FROM ({numbers}) s",
            [low, high - low + 1, now, now, count],
        )
        cursor.execute(
            "INSERT INTO people_membership (person_id, org_unit_id, joined_on, status)"
            " SELECT id, org_unit_id, '2020-01-01', 'active' FROM people_person"
            " WHERE org_unit_id >= %s AND org_unit_id <= %s",
            [low, high],
        )


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
