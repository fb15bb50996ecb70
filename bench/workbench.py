"""Workbench figure: the home page (工作台) of a city post, rendered through the test client
signed in, against a primary-key page (a union's detail page) through the same client,
interleaved, on data where the waiting sets are large: open campaigns whose nominees wait
in their first notice for review (100,000 at full), beside drafts the counts must skip.
Counts stop at ``CAP`` rows, so the page costs the same whatever the size of the sets; the
queries per render are printed (on stderr) with the plan of one count.

The data: the demo tree; ``campaigns`` city campaigns set up through the services
(``campaign_create``, ``quota_set`` on each district, ``campaign_open``); people and
nominations bulk-created (one person may be nominated in every campaign).
"""

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from faker import Faker
from funds_batch import make_payees, make_run
from measure import figure, interleaved, make_user, note, p95

from gonghui.common import workdays
from gonghui.common.workbench import capped_count
from gonghui.funds.models import Budget, PayoutBatch, PayoutLine, Programme, RuleVersion
from gonghui.funds.payouts.selectors import lines_predicted_to_fail
from gonghui.funds.payouts.services import batch_create
from gonghui.nominations import services
from gonghui.nominations.models import Campaign, Nomination
from gonghui.nominations.selectors import nomination_list
from gonghui.nominations.services.campaigns import QUOTA_MAX
from gonghui.nominations.workflow import State
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.registry.models import Honour
from gonghui.web import demo
from gonghui.web.workbench import waiting_for


@dataclass(frozen=True)
class Scale:
    people: int
    campaigns: int  # each nominates every person once: people x campaigns nominations
    lines: int  # payout lines of a draft batch; the later half predicted to fail
    reps: int


SCALES = {
    "small": Scale(people=2_000, campaigns=3, lines=2_000, reps=50),
    "full": Scale(people=30_000, campaigns=4, lines=20_000, reps=100),
}
SEED = 20261207
TARGET = 5  # the workbench within 5x of a primary-key page
DRAFTS = 0.1  # of each campaign's nominations: drafts, which no queue counts


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}")
    rng = random.Random(SEED)
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    city = OrgUnit.objects.get(parent__isnull=True)
    admin = make_user("bench-city-admin", city, "city_admin")
    campaigns = build(scale, rng, fake, admin)
    payouts(scale, admin)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    yield from measure(scale, admin, campaigns)


def build(scale: Scale, rng: random.Random, fake: Faker, admin) -> list[Campaign]:
    start = time.perf_counter()
    with transaction.atomic():
        grassroots = demo.build_tree(fake, rng, 2)
    districts = list(
        OrgUnit.objects.filter(level__in=(OrgUnit.Level.DISTRICT, OrgUnit.Level.INDUSTRY)).order_by(
            "path"
        )
    )
    today = workdays.today()
    honours = list(Honour.objects.filter(level="city").order_by("pk")[: scale.campaigns])
    campaigns = []
    for honour in honours:
        c = services.campaign_create(
            actor=admin,
            honour=honour,
            year=today.year,
            nominate_from=today - timedelta(days=30),
            nominate_until=today + timedelta(days=30),
            objection_contact="电话 010-12345678",
        )
        for d in districts:
            services.quota_set(actor=admin, campaign=c, org_unit=d, allowed=QUOTA_MAX)
        campaigns.append(services.campaign_open(actor=admin, campaign=c))
    gen = demo.PeopleGenerator(rng, fake)
    by_district = {d.path: d for d in districts}
    with transaction.atomic():
        people = Person.objects.bulk_create(
            [gen.person(rng.choice(grassroots)) for _ in range(scale.people)], batch_size=5000
        )
        units = {u.pk: u for u in grassroots}
        for c in campaigns:
            quotas = {q.org_unit.path: q for q in c.quotas.select_related("org_unit")}
            rows = []
            for p in people:
                unit = units[p.org_unit_id]
                district = next(path for path in by_district if unit.path.startswith(path))
                state = State.DRAFT if rng.random() < DRAFTS else State.FIRST_NOTICE
                rows.append(
                    Nomination(
                        campaign=c,
                        person=p,
                        org_unit=unit,
                        quota=quotas[district],
                        state=state,
                        is_front_line=True,
                    )
                )
            Nomination.objects.bulk_create(rows, batch_size=5000)
    waiting = Nomination.objects.filter(state=State.FIRST_NOTICE).count()
    note(
        f"data: {len(grassroots)} grassroots unions, {scale.people} people, "
        f"{len(campaigns)} open campaigns, {waiting} nominees awaiting first review, "
        f"{Nomination.objects.count() - waiting} drafts, in {time.perf_counter() - start:.0f} s"
    )
    return campaigns


def payouts(scale: Scale, admin) -> None:
    """A district's draft Spring Festival batch (the funds_batch bench's payees and run),
    the later half of its lines predicted to fail: a count that read the lines in order
    would pass the whole first half before it found one."""
    start = time.perf_counter()
    district = OrgUnit.objects.get(code="110105")
    programme = Programme.objects.create(
        code="spring", name="春节慰问金", kind="condolence", entry="enrol", org_unit=district
    )
    rule = RuleVersion.objects.create(
        programme=programme, version=1, rule={"kind": "fixed", "amount": 500_000}
    )
    budget = Budget.objects.create(
        programme=programme, org_unit=district, year=2026, amount=10**14, committed=0
    )
    people = make_payees(district, scale.lines)
    run_ = make_run(programme, district, rule, budget, people, "workbench")
    batch = batch_create(
        actor=admin, programme=programme, org_unit=district, name="春节慰问金第一批", run=run_
    )
    ids = list(PayoutLine.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True))
    failing = ids[len(ids) // 2 :]
    for i in range(0, len(failing), 5000):
        PayoutLine.objects.filter(pk__in=failing[i : i + 5000]).update(prediction="closed")
    note(
        f"payouts: a draft batch of {len(ids)} lines, {len(failing)} predicted to fail, "
        f"in {time.perf_counter() - start:.0f} s"
    )


def plan(name: str, qs) -> None:
    """The plan of one capped count, as the workbench runs it."""
    note(f"capped count of {name}: {capped_count(qs)} rows")
    sql, params = qs.order_by().values("pk")[:100].query.sql_with_params()
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        for row in cursor.fetchall():
            note(f"  plan: {row[-1] if connection.vendor == 'sqlite' else row[0]}")


def measure(scale: Scale, admin, campaigns: list[Campaign]) -> Iterator[str]:
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(admin)
    unit = OrgUnit.objects.filter(level=OrgUnit.Level.DISTRICT).order_by("path").first()
    pk_url, home_url = reverse("web:org_detail", args=[unit.pk]), reverse("web:home")

    def get(url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    with CaptureQueriesContext(connection) as home_q:
        client.get(home_url)
    with CaptureQueriesContext(connection) as pk_q:
        client.get(pk_url)
    shown = [i.waiting.shown for i in waiting_for(admin)]
    note(f"workbench items: {len(shown)} ({', '.join(shown)})")
    note(f"queries per render: workbench {len(home_q)}, primary-key page {len(pk_q)}")
    batch = PayoutBatch.objects.get(status=PayoutBatch.Status.DRAFT)
    for name, qs in (
        (
            "nominees awaiting review",
            nomination_list(actor=admin, campaign=campaigns[0], state=State.FIRST_NOTICE),
        ),
        ("lines predicted to fail", lines_predicted_to_fail(batch)),
    ):
        plan(name, qs)
    times = interleaved({"home": get(home_url), "pk": get(pk_url)}, scale.reps, warmup=5)
    home, pk = p95(times["home"]) * 1000, p95(times["pk"]) * 1000
    note(f"primary-key page p95 {pk:.1f} ms")
    yield figure("workbench.city_home_p95", home, "ms", "ratio_to_pk_page", home / pk, TARGET)
