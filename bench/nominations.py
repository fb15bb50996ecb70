"""Nominations figures: the quota computation (every quota node, every rule, one grouped
query) against one ``.count()`` of the same rows; the quota page's p95 (the campaign page,
its quota table and first page of nominees, fetched through the test client; on stderr, as it
has no target); a batch first review of a whole node's list, with its audit.

The data: the demo tree (streets and grassroots unions under every district, and the
industry unions); a 2025 首都劳动奖章 campaign at the city, set up through the services
(``campaign_create``, ``quota_set`` for each quota node, ``rule_add``, ``campaign_open``),
its quota nodes grassroots unions drawn from the whole tree; four rules: front-line at least
45% of each node's list, enterprise heads at most 10% of the whole list, 科技创新人员 at
least 20% of the whole list, 局级及以上干部 excluded. People and nominations are
bulk-created: ``nominees`` counted nominations (nominated, or in their node's first notice,
listed on a closed notice of their node) spread unevenly over the nodes, plus drafts and
withdrawn ones the count must skip; quota and rule counters are set to what the rows hold.
One node of 朝阳 holds the batch: all its nominees front-line workers in a first notice that
closed a week ago, reviewed in one ``nominations_advance`` by 朝阳's district staff.
"""

import gc
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from faker import Faker
from measure import figure, interleaved, make_user, note, p95

from gonghui.audit.models import AuditEvent
from gonghui.audit.services import verify_stream
from gonghui.common import workdays
from gonghui.nominations import rules, services
from gonghui.nominations.models import Campaign, Nomination, Notice, Quota, Rule, Step
from gonghui.nominations.workflow import State
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person
from gonghui.registry.models import Honour
from gonghui.web import demo


@dataclass(frozen=True)
class Scale:
    nominees: int  # counted nominations (nominated or in a first notice), the batch included
    nodes: int  # quota nodes (grassroots unions)
    batch: int  # nominees of one node reviewed in one batch action
    reps: int  # timed quota computations (and counts)
    page_reps: int  # timed quota pages (GET through the test client)


SCALES = {
    "small": Scale(nominees=500, nodes=60, batch=100, reps=200, page_reps=50),
    "full": Scale(nominees=5_000, nodes=300, batch=1_000, reps=200, page_reps=100),
}
SEED = 20261122
BATCH_DISTRICT = "110105"  # 朝阳区: its staff review the batch
GRASSROOTS_PER_STREET = 6  # 60 streets x 6 + 4 industries x 10 = 400 grassroots unions
UNCOUNTED = 0.05  # drafts and withdrawn nominations, beyond ``nominees``, that count skips
WARMUP = 10  # nominees of the batch node reviewed first, untimed (and their queries counted)
QUOTA_TARGET = 5  # the quota computation within 5x one count of the same rows
BATCH_BUDGET = 10  # seconds: "advancing 1,000 nominees in one batch action takes seconds"
# Post/rank of the other nominees (senior officials are excluded by a rule), and how many
# of each are front-line.
RANKS = {
    Person.Rank.WORKER: (50, 0.9),
    Person.Rank.TECHNICIAN: (25, 0.4),
    Person.Rank.MANAGER: (8, 0.0),
    Person.Rank.ENTERPRISE_HEAD: (5, 0.0),
    Person.Rank.OFFICIAL: (7, 0.0),
    Person.Rank.OTHER: (5, 0.2),
}
POST_TITLES = {
    Person.Rank.WORKER: ("钳工", "电工", "焊工", "公交驾驶员", "护士", "快递员"),
    Person.Rank.TECHNICIAN: ("工程师", "高级工程师", "主治医师", "技术员"),
    Person.Rank.MANAGER: ("车间主任", "项目经理", "部门经理"),
    Person.Rank.ENTERPRISE_HEAD: ("董事长", "总经理"),
    Person.Rank.OFFICIAL: ("科长", "副处长"),
    Person.Rank.OTHER: ("社区工作者", "教师"),
}
TECH, MIGRANT, NON_PUBLIC = "科技创新人员", "农民工", "非公有制企业"


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    note(f"database: {connection.vendor}; {scale}")
    rng = random.Random(SEED)
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    city = OrgUnit.objects.get(parent__isnull=True)
    district = OrgUnit.objects.get(code=BATCH_DISTRICT)
    admin = make_user("bench-city-admin", city, "city_admin")
    city_staff = make_user("bench-city-staff", city, "dept_staff")
    staff = make_user("bench-district-staff", district, "district_staff")

    campaign, batch_quota = build(scale, rng, fake, admin, district)
    yield from quota_page(scale, campaign, city_staff)
    yield from batch_advance(scale, batch_quota, staff)


# --- The data ---------------------------------------------------------------------------------


def build(
    scale: Scale, rng: random.Random, fake: Faker, admin, district: OrgUnit
) -> tuple[Campaign, Quota]:
    start = time.perf_counter()
    with transaction.atomic():
        grassroots = demo.build_tree(fake, rng, GRASSROOTS_PER_STREET)  # shuffled
    batch_node = next(u for u in grassroots if u.path.startswith(district.path))
    others = rng.sample([u for u in grassroots if u != batch_node], scale.nodes - 1)
    # The other nominees over the other nodes, unevenly (weights 1 to 4).
    weights = [rng.uniform(1, 4) for _ in others]
    rest = scale.nominees - scale.batch - WARMUP
    counted = Counter(rng.choices(range(len(others)), weights, k=rest))
    sizes = {batch_node.pk: scale.batch + WARMUP} | {u.pk: counted[i] for i, u in enumerate(others)}
    tree_s = time.perf_counter() - start
    note(
        f"tree: {len(grassroots)} grassroots unions in {tree_s:.1f} s; {scale.nodes} quota "
        f"nodes, {min(sizes.values())}-{max(sizes.values())} nominees each, the batch node "
        f"{batch_node.name} ({scale.batch} + {WARMUP})"
    )

    start = time.perf_counter()
    campaign = set_up(rng, admin, [batch_node, *others], sizes)
    setup_s = time.perf_counter() - start
    note(
        f"campaign: {campaign.quotas.count()} quotas and {campaign.rules.count()} rules, "
        f"through the services in {setup_s:.1f} s"
    )

    start = time.perf_counter()
    made = nominate(rng, fake, campaign, batch_node, others, counted, scale.batch)
    nominate_s = time.perf_counter() - start
    states = Counter(campaign.nominations.values_list("state", flat=True))
    note(
        f"nominations: {made} with their people in {nominate_s:.1f} s; "
        + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
    )
    start = time.perf_counter()
    analyze()
    note(f"analyze: {time.perf_counter() - start:.1f} s")
    check(scale, campaign)
    return campaign, Quota.objects.get(campaign=campaign, org_unit=batch_node)


def set_up(rng: random.Random, admin, nodes: list[OrgUnit], sizes: dict[int, int]) -> Campaign:
    """The campaign as staff would set it up: quotas a little above each node's list."""
    today = workdays.today()
    campaign = services.campaign_create(
        actor=admin,
        honour=Honour.objects.get(code="capital-labour-medal"),
        year=2025,
        nominate_from=today - timedelta(days=60),
        nominate_until=today + timedelta(days=30),
        objection_contact="电话 010-12345678",
    )
    for node in nodes:
        allowed = max(1, sizes[node.pk] + rng.randrange(0, 4))
        services.quota_set(actor=admin, campaign=campaign, org_unit=node, allowed=allowed)
    for kind, attribute, value, percent, per_node in (
        (Rule.Kind.AT_LEAST, Rule.Attribute.FRONT_LINE, "", 45, True),
        (Rule.Kind.AT_MOST, Rule.Attribute.RANK, Person.Rank.ENTERPRISE_HEAD, 10, False),
        (Rule.Kind.AT_LEAST, Rule.Attribute.CATEGORY, TECH, 20, False),
        (Rule.Kind.EXCLUDED, Rule.Attribute.RANK, Person.Rank.SENIOR_OFFICIAL, 0, False),
    ):
        services.rule_add(
            actor=admin,
            campaign=campaign,
            kind=kind,
            attribute=attribute,
            value=value,
            percent=percent,
            per_node=per_node,
        )
    return services.campaign_open(actor=admin, campaign=campaign)


def nominate(
    rng: random.Random,
    fake: Faker,
    campaign: Campaign,
    batch_node: OrgUnit,
    others: list[OrgUnit],
    counted: Counter,
    batch: int,
) -> int:
    """People and their nominations in bulk; each node's first-notice nominees listed on one
    notice of the node, closed a week ago; quota and rule counters set to the rows."""
    today = workdays.today()
    gen = demo.PeopleGenerator(rng, fake)
    briefs = [fake.paragraph(nb_sentences=4)[:200] for _ in range(100)]
    deeds = ["".join(fake.paragraphs(nb=15))[:1500] for _ in range(100)]
    quotas = {q.org_unit_id: q for q in campaign.quotas.all()}
    ranks = list(RANKS)
    rank_weights = [share for share, _ in RANKS.values()]
    rows: list[tuple[Person, Nomination]] = []

    def add(node: OrgUnit, rank: str, front_line: bool, state: str, categories: list[str]):
        person = gen.person(node)
        person.rank, person.is_front_line = rank, front_line
        person.post_title = rng.choice(POST_TITLES[rank])
        nomination = Nomination(
            campaign=campaign,
            org_unit=node,
            quota=quotas[node.pk],
            state=state,
            is_front_line=front_line,
            rank=rank,
            post_title=person.post_title,
            categories="".join(f"|{c}" for c in categories) + ("|" if categories else ""),
            brief=rng.choice(briefs),
            deeds=rng.choice(deeds),
            meeting_on=today - timedelta(days=40),
            meeting_attendance=rng.randrange(30, 120),
            meeting_result=f"民主评议赞成票 {rng.randrange(25, 30)} 票",
            live=state != State.WITHDRAWN,
            reason="本人身体原因" if state == State.WITHDRAWN else "",
        )
        rows.append((person, nomination))

    def draw(node: OrgUnit, state: str) -> None:
        rank = rng.choices(ranks, rank_weights)[0]
        shares = (
            (TECH, 0.45 if rank == Person.Rank.TECHNICIAN else 0.15),
            (MIGRANT, 0.15 if rank == Person.Rank.WORKER else 0.0),
            (NON_PUBLIC, 0.1),
        )
        categories = [c for c, share in shares if rng.random() < share]
        add(node, rank, rng.random() < RANKS[rank][1], state, categories)

    for _ in range(batch + WARMUP):
        tech = [TECH] if rng.random() < 0.2 else []
        add(batch_node, Person.Rank.WORKER, True, State.FIRST_NOTICE, tech)
    for i, node in enumerate(others):
        for _ in range(counted[i]):
            draw(node, State.NOMINATED if rng.random() < 0.5 else State.FIRST_NOTICE)
    nodes = [batch_node, *others]
    for _ in range(round((batch + WARMUP + counted.total()) * UNCOUNTED)):
        draw(rng.choice(nodes), State.DRAFT if rng.random() < 0.5 else State.WITHDRAWN)

    with transaction.atomic():
        for start in range(0, len(rows), 5000):
            chunk = rows[start : start + 5000]
            people = Person.objects.bulk_create([p for p, _ in chunk])
            for person, (_, nomination) in zip(people, chunk, strict=True):
                nomination.person = person
            Nomination.objects.bulk_create([n for _, n in chunk])
        publish_first_notices(campaign, [n for _, n in rows], batch_node, today)
        set_counters(campaign)
    return len(rows)


def publish_first_notices(campaign: Campaign, rows: list[Nomination], unit, today) -> None:
    """One first notice per node for its nominees in that state, over a week ago."""
    publisher = make_user("bench-unit-staff", unit, "grassroots_staff")
    listed: dict[int, list[Nomination]] = {}
    for n in rows:
        if n.state == State.FIRST_NOTICE:
            listed.setdefault(n.org_unit_id, []).append(n)
    starts_on, ends_on = today - timedelta(days=14), today - timedelta(days=8)
    notices = Notice.objects.bulk_create(
        Notice(
            campaign=campaign,
            stage=Notice.Stage.FIRST,
            org_unit_id=unit_id,
            title=f"{campaign.name}基层公示",
            starts_on=starts_on,
            ends_on=ends_on,
            closes_at=workdays.end_of_day(ends_on),
            fields=list(campaign.notice_fields),
            contact=campaign.objection_contact,
            published_by=publisher,
        )
        for unit_id in listed
    )
    Notice.nominations.through.objects.bulk_create(
        Notice.nominations.through(notice_id=notice.pk, nomination_id=n.pk)
        for notice, members in zip(notices, listed.values(), strict=True)
        for n in members
    )


def set_counters(campaign: Campaign) -> None:
    """The quotas' and rules' counters, as the submissions would have left them."""
    services.counters_rebuild(campaign)


def check(scale: Scale, campaign: Campaign) -> None:
    """The quota status from the counters agrees with a recount of the rows."""
    nodes, overall = rules.quota_status(campaign)
    recount = rules.quota_recount(campaign)
    total = sum(n.total for n in nodes)
    wrong = [
        n.quota.org_unit.name
        for n, r in zip(nodes, recount[0], strict=True)
        if (n.total, [s.count for s in n.rules]) != (r.total, [s.count for s in r.rules])
    ]
    if [s.count for s in overall] != [s.count for s in recount[1]]:
        wrong.append("overall")
    if total != scale.nominees or wrong:
        raise RuntimeError(f"quota status: {total} counted (not {scale.nominees}); {wrong[:5]}")
    failing = sum(1 for n in nodes if not n.ok)
    note(
        f"quota status: {total} counted over {len(nodes)} nodes, {failing} nodes short of "
        "a per-node rule; overall: "
        + "; ".join(
            f"{s.rule.label} {s.count}/{s.total} {'ok' if s.ok else 'SHORT'}" for s in overall
        )
    )


def analyze() -> None:
    """Fresh planner statistics, as a database that has lived a while would have."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- 1. The quota page -------------------------------------------------------------------------


def quota_page(scale: Scale, campaign: Campaign, viewer) -> Iterator[str]:
    counted = campaign.nominations.filter(rules.COUNTED)
    if counted.count() != scale.nominees:
        raise RuntimeError(f"count: {counted.count()} counted, not {scale.nominees}")
    client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    client.force_login(viewer)
    url = reverse("nominations:campaign", args=[campaign.pk])
    response = client.get(url)
    html = response.content.decode()
    names = campaign.quotas.values_list("org_unit__name", flat=True)
    missing = [name for name in names if name not in html]
    if response.status_code != 200 or missing:
        raise RuntimeError(f"GET {url}: {response.status_code}, nodes missing {missing[:3]}")

    def status() -> None:
        rules.quota_status(campaign)

    def recount() -> None:
        rules.quota_recount(campaign)

    def page() -> None:
        if client.get(url).status_code != 200:
            raise RuntimeError(f"GET {url} failed")

    def count() -> None:
        counted.count()

    with CaptureQueriesContext(connection) as queries:
        status()
    status_queries = len(queries)
    times = interleaved(
        {"status": status, "recount": recount, "count": count}, scale.reps, warmup=10
    )
    status_p95, count_p95 = p95(times["status"]), p95(times["count"])
    note(
        f"quota computation ({status_queries} queries: rules, quotas with their nodes, the "
        f"rules' counters), p95 of {scale.reps}: {status_p95 * 1000:.2f} ms; one count of the "
        f"same {scale.nominees} rows {count_p95 * 1000:.2f} ms; the same status recounted "
        f"from the rows (one grouped count) {p95(times['recount']) * 1000:.2f} ms "
        f"({p95(times['recount']) / count_p95:.1f}x)"
    )
    # The page on its own (its garbage would land in the others' timings), against the count.
    reset_queries()  # as the request itself will (request_started), so the capture counts all
    with CaptureQueriesContext(connection) as queries:
        page()
    page_queries = len(queries)
    times = interleaved({"page": page, "count": count}, scale.page_reps, warmup=5)
    page_p95 = p95(times["page"])
    note(
        f"quota page p95 of {scale.page_reps}: {page_p95 * 1000:.1f} ms "
        f"({page_p95 / p95(times['count']):.0f}x the count): GET {url} as city staff through "
        f"the test client ({page_queries} queries, {len(html) // 1000} kB): the quota table of "
        f"{scale.nodes} nodes, the first page of nominees, notices and objections"
    )
    yield figure(
        "nominations.quota_status_p95",
        status_p95 * 1000,
        "ms",
        "ratio_to_count",
        status_p95 / count_p95,
        QUOTA_TARGET,
    )


# --- 2. The batch action -----------------------------------------------------------------------


def batch_advance(scale: Scale, quota: Quota, staff) -> Iterator[str]:
    listed = list(quota.nominations.filter(state=State.FIRST_NOTICE).order_by("pk"))
    warm, batch = listed[:WARMUP], listed[WARMUP:]
    if len(batch) != scale.batch:
        raise RuntimeError(f"batch node: {len(batch)} nominees in the first notice")
    with CaptureQueriesContext(connection) as queries:
        services.nominations_advance(actor=staff, nominations=warm, action="first_pass")
    note(
        f"warm-up batch of {WARMUP} (untimed): {len(queries)} queries, "
        f"{len(queries) / WARMUP:.1f} a nominee"
    )

    pks = [n.pk for n in batch]
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    access.forget(staff)
    gc.collect()
    start = time.perf_counter()
    services.nominations_advance(
        actor=staff, nominations=batch, action="first_pass", opinion="经初审，同意推荐"
    )
    elapsed = time.perf_counter() - start

    events = list(
        AuditEvent.objects.filter(pk__gt=last, action="nominations.first_pass").values_list(
            "object_id", flat=True
        )
    )
    audited = set(events)
    steps = Step.objects.filter(nomination__in=pks, action="first_pass").count()
    passed = Nomination.objects.filter(pk__in=pks, state=State.FIRST_PASSED).count()
    report = verify_stream(services.STREAM)
    expected = {str(pk) for pk in pks}
    if len(events) != scale.batch or audited != expected or {steps, passed} != {scale.batch}:
        raise RuntimeError(f"batch: {passed} passed, {steps} steps, {len(events)} audit events")
    if not report.ok:
        raise RuntimeError(f"audit stream after the batch: {report}")
    start = time.perf_counter()
    with transaction.atomic():
        Nomination.objects.filter(pk__in=pks).update(state=State.FIRST_PASSED)
    plain = time.perf_counter() - start
    note(
        f"batch first review of {scale.batch} by district staff: {elapsed:.2f} s "
        f"({elapsed / scale.batch * 1000:.2f} ms a nominee); {passed} passed, {steps} steps, "
        f"{len(events)} audit events (stream verified: {report.events} events, "
        f"{report.checkpoints} checkpoints); one plain update of the same rows "
        f"{plain * 1000:.1f} ms"
    )
    yield figure(
        f"nominations.batch_advance_{scale.batch}",
        elapsed,
        "s",
        f"ratio_to_{BATCH_BUDGET}s",
        elapsed / BATCH_BUDGET,
        1,
    )
