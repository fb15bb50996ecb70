"""The leadership dashboard over the benchmark's data (issue #20, figure 1).

Data: the registry bench's tree and award builder (``registry.build_awards``) over bulk
people, the perks bench's members, cards, venue and giveaways with their claims, the
training quiz bench's sessions and attendance, and funds budgets with their ledgers (commit
and pay rows per entitlement, as approvals and payouts write them), at
``--scale full`` 1,000,000 people, 300,000 awards and 1,000,000 claims. Then the facts are
built (``refresh``: its time is printed) and measured:

* the first render of the leadership dashboard (``/dashboards/``, the view through Django's
  test client, signed in as a city post: each render a new session's first request)
  against the slowest single aggregate query it shows, each re-run alone on the fact
  table, interleaved; target: within 3x;
* the queries per render and the rows they return, and that none reads a programme's table.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from faker import Faker
from measure import comparison, figure, interleaved, make_user, note
from perks import make_giveaway, make_members, make_venue
from registry import build_awards
from training_quiz import make_members as make_learners

from gonghui.dashboards.models import Fact
from gonghui.dashboards.refresh import refresh
from gonghui.funds.models import Budget, LedgerEntry, Programme
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Unit
from gonghui.perks.models import Card, Claim
from gonghui.training.models import Attendance, Course, Enrolment, Session
from gonghui.web import demo


@dataclass(frozen=True)
class Scale:
    people: int
    awards: int
    claims: int
    claimants: int  # members with a card; each claims in every giveaway
    ledger: int  # funds ledger rows
    attendances: int
    reps: int


SCALES = {
    "small": Scale(50_000, 15_000, 50_000, 5_000, 10_000, 10_000, 30),
    "full": Scale(1_000_000, 300_000, 1_000_000, 20_000, 200_000, 100_000, 60),
}
SEED = 20261207
TARGET = 3.0
BASE_APPS = ("registry_", "people_", "nominations_", "contests_", "funds_", "perks_", "training_")


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    rng = random.Random(SEED)
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-dash-admin", city, "city_admin")
    viewer = make_user("bench-dash-city", city, "dept_staff")

    started = time.perf_counter()
    build(scale, rng, fake, admin)
    note(f"data built in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    written = refresh()
    refresh_s = time.perf_counter() - started
    note(f"facts: {Fact.objects.count()} rows ({written})")
    yield comparison("dashboards.refresh_all", refresh_s, "s", "facts", Fact.objects.count())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # Each render a new browser's first request: its own session, signed in beforehand
    # (outside the timing); one client, so the middleware is loaded once as in a server.
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    sessions = []
    for _ in range(scale.reps * 4 + 20):
        client.force_login(viewer)
        sessions.append(client.cookies)
        client.cookies = type(client.cookies)()

    def render():
        client.cookies = sessions.pop()
        response = client.get("/dashboards/")
        assert response.status_code == 200, response.status_code
        return response

    def floor():
        # The same first request to a page that reads nothing (the password form): what
        # session, sign-in, posts, menu and base template cost before any figure is read.
        client.cookies = sessions.pop()
        response = client.get("/password/")
        assert response.status_code == 200, response.status_code
        return response

    render()  # the code paths imported once
    with CaptureQueriesContext(connection) as captured:
        render()
    queries = [q["sql"] for q in captured]
    own = f'."user_id" = {viewer.pk}'  # the menu's look-ups of the viewer themself
    base = [q for q in queries if any(f'"{a}' in q for a in BASE_APPS) and own not in q]
    assert not base, f"a render read a programme's table: {base}"
    facts = [q for q in queries if '"dashboards_fact"' in q]
    rows = {q: _rows(q) for q in facts}
    note(f"render: {len(queries)} queries, {len(facts)} of the facts, none of the programmes")
    for q, n in rows.items():
        note(f"  {n:6d} rows  {q[:150]}")

    sides = {"render": render, "floor": floor} | {f"q{i}": _runner(q) for i, q in enumerate(facts)}
    times = interleaved(sides, scale.reps, warmup=3)
    medians = {name: statistics.median(t) for name, t in times.items()}
    slowest = max((n for n in medians if n.startswith("q")), key=medians.get)
    ratio = medians["render"] / medians[slowest]
    note(
        f"render median {medians['render'] * 1e3:.2f} ms; slowest aggregate query "
        f"{medians[slowest] * 1e3:.2f} ms ({facts[int(slowest[1:])][:120]})"
    )
    yield figure(
        "dashboards.leader_render_median",
        medians["render"] * 1e3,
        "ms",
        "ratio_to_slowest_query",
        ratio,
        TARGET,
    )
    yield comparison(
        "dashboards.empty_page_median",
        medians["floor"] * 1e3,
        "ms",
        "ratio_to_slowest_query",
        medians["floor"] / medians[slowest],
    )
    yield comparison(
        "dashboards.leader_render_queries",
        len(queries),
        "queries",
        "fact_rows_read",
        sum(rows.values()),
    )
    yield comparison(
        "dashboards.leader_render_base_table_queries", len(base), "queries", "of_all", len(queries)
    )


def _cursor_run(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return len(cursor.fetchall())


def _rows(sql: str) -> int:
    return _cursor_run(sql)


def _runner(sql: str):
    return lambda: _cursor_run(sql)


# --- The data ------------------------------------------------------------------------------------


def build(scale: Scale, rng: random.Random, fake: Faker, admin) -> None:
    started = time.perf_counter()
    with transaction.atomic():
        grassroots = demo.build_tree(fake, rng, 6)
    units = Unit.objects.bulk_create(
        Unit(name=f"{fake.company()}{i}", org_unit=g) for i, g in enumerate(grassroots)
    )
    note(f"tree: {len(grassroots)} grassroots unions in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    made = 0
    while made < scale.people:
        n = min(20_000, scale.people - made)
        Person.objects.bulk_create(
            Person(name=f"职工{made + i}", org_unit=rng.choice(grassroots), no_id_reason="压测数据")
            for i in range(n)
        )
        made += n
    note(f"people: {made} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    awards = build_awards(scale.awards, rng, fake, units)
    note(f"awards: {awards} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    claims(scale, rng, admin, grassroots)
    note(f"claims: {Claim.objects.count()} in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    funds(scale, rng, admin)
    note(f"ledger: {LedgerEntry.objects.count()} rows in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    training(scale, rng, admin, grassroots)
    note(f"attendance: {Attendance.objects.count()} in {time.perf_counter() - started:.0f} s")


def claims(scale: Scale, rng: random.Random, admin, grassroots) -> None:
    """Members with cards at one grassroots union a district, each claiming in every one of
    the district's giveaways (fcfs; 60% won, half of those picked up)."""
    districts = list(OrgUnit.objects.filter(level="district").order_by("path"))
    per_district = scale.claimants // len(districts)
    giveaways = scale.claims // scale.claimants
    now = timezone.now()
    for district in districts:
        unit = next(g for g in grassroots if g.path.startswith(district.path))
        people = make_members(unit, per_district)
        venue = make_venue(district)
        cards = dict(Card.objects.filter(person_id__in=people).values_list("person_id", "pk"))
        for g in range(giveaways):
            giveaway = make_giveaway(admin, district, venue, title=f"普惠{g}", stock=per_district)
            statuses = rng.choices(["won", "picked_up", "registered"], [3, 3, 4], k=len(people))
            Claim.objects.bulk_create(
                (
                    Claim(
                        giveaway=giveaway,
                        person_id=p,
                        card_id=cards[p],
                        status=s,
                        idem_key=f"{giveaway.pk}-{p}",
                        request_hash="0" * 64,
                        created_at=now,
                    )
                    for p, s in zip(people, statuses, strict=True)
                ),
                batch_size=5000,
            )


def funds(scale: Scale, rng: random.Random, admin) -> None:
    """A programme per district with a budget each year 2022–2026, and commit/pay rows."""
    budgets = []
    for district in OrgUnit.objects.filter(level="district"):
        programme = Programme.objects.create(
            code=f"aid-{district.code}",
            name=f"{district.name}帮扶",
            kind="condolence",
            entry="enrol",
            org_unit=district,
        )
        for year in range(2022, 2027):
            budgets.append(
                Budget.objects.create(
                    programme=programme, org_unit=district, year=year, amount=10**10
                )
            )
    made = 0
    while made < scale.ledger:
        batch = []
        for _ in range(min(10_000, scale.ledger - made) // 2):
            b = rng.choice(budgets)
            amount = rng.randrange(1000, 500_000)
            month = f"{b.year}-{rng.randrange(1, 13):02d}"
            batch.append(
                LedgerEntry(
                    programme_id=b.programme_id, budget=b, kind="commit", amount=amount, month=month
                )
            )
            batch.append(
                LedgerEntry(
                    programme_id=b.programme_id, budget=b, kind="pay", amount=-amount, month=month
                )
            )
        LedgerEntry.objects.bulk_create(batch)
        made += len(batch)


def training(scale: Scale, rng: random.Random, admin, grassroots) -> None:
    """Lectures in every district (a session a month over three years) with enrolments and
    attendance of the quiz bench's learners."""
    learners = make_learners(grassroots[0], 2_000)
    sessions = []
    for district in OrgUnit.objects.filter(level="district"):
        course = Course.objects.create(
            name=f"{district.name}工匠讲堂", org_unit=district, status="published", created_by=admin
        )
        for seq in range(1, 37):
            starts = timezone.make_aware(
                datetime(2024 + (seq - 1) // 12, (seq - 1) % 12 + 1, 15, 14)
            )
            sessions.append(
                Session.objects.create(
                    course=course,
                    org_unit=district,
                    seq=seq,
                    title=f"第{seq}期",
                    place="职工之家",
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                    capacity=len(learners),
                    enrol_opens_at=starts - timedelta(days=10),
                    enrol_closes_at=starts - timedelta(days=1),
                )
            )
    per = max(1, scale.attendances // len(sessions))
    for session in sessions:
        people = rng.sample(learners, min(per, len(learners)))
        Enrolment.objects.bulk_create(
            Enrolment(session=session, person_id=p, status="seated") for p in people
        )
        Attendance.objects.bulk_create(
            Attendance(session=session, person_id=p, method="staff")
            for p in people
            if rng.random() < 0.8
        )
