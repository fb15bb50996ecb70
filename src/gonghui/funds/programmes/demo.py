"""The programmes part of the funds demo (see funds/demo.py): the seeds' programmes with
their rules (the certificate subsidy's in two versions), budgets per year (the critical
illness aid's of 2018 among them), hardship records of model workers in several districts —
among them the seed's elder (a woman in her eighties, 特别困难, Chaoyang) and a dormant
card's owner — all through the services, deterministic from ``rng``.

Leaves on ``world``: ``programmes`` (code → Programme: cert, illness, hardship, spring,
studio, studio_topup), ``staff`` (admin, laomo, chaoyang, chaoyang_street, chaoyang_jc as
User), ``elder``, ``dormant`` (Person), ``hardship`` (person id → Hardship), ``budgets``
((code, year) → Budget at the organiser)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction

from gonghui.common.demo import as_of, at
from gonghui.common.pii import id_check_digit
from gonghui.funds.models import Budget
from gonghui.funds.programmes.services import (
    budget_set,
    hardship_set,
    programme_create,
    rule_change,
)
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, Post
from gonghui.people.models import Membership, Person
from gonghui.people.services import membership_join, person_create
from gonghui.perks.cards.services import card_issue
from gonghui.registry.models import Award, Honour
from gonghui.registry.services import award_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHAOYANG = "110105"
MODEL_WORKER_HONOURS = ("beijing-model-worker", "national-model-worker")
HARDSHIP_RECORDS = 25  # model workers in hardship across the districts (elder, dormant among them)

CERTIFICATE_V1 = {
    "kind": "certificate",
    "levels": {"一级": 200000, "二级": 100000, "三级": 80000},
    "aliases": {"高级技师": "一级", "技师": "二级", "高级工": "三级"},
    "finalists": {"final": 10, "semi_final": 5, "level": "二级"},
}
# 2026: social workers' certificates count too (社会工作者 → 二级, 高级社会工作者 → 一级).
CERTIFICATE_V2 = {
    **CERTIFICATE_V1,
    "aliases": {
        **CERTIFICATE_V1["aliases"],
        "高级社会工作者": "一级",
        "社会工作者": "二级",
    },
}
ILLNESS = {
    "kind": "illness",
    "min": 200000,
    "max": 2000000,
    "cap_per_year": 2000000,
    "bands": [
        {"from": 0, "amounts": {"一般困难": 200000, "特别困难": 500000}},
        {"from": 5000000, "amounts": {"一般困难": 500000, "特别困难": 1000000}},
        {"from": 15000000, "amounts": {"一般困难": 1000000, "特别困难": 2000000}},
    ],
}
# Who the enrolment programmes take (funds/enrolment/criteria.py): model workers in hardship.
MODEL_WORKERS = ["beijing-model-worker", "national-model-worker"]
IN_HARDSHIP = ["一般困难", "特别困难"]
HARDSHIP = {  # 1,500元 a month
    "kind": "fixed",
    "amount": 150000,
    "enrol": {"honours": MODEL_WORKERS, "hardship": IN_HARDSHIP},
}
SPRING = {
    "kind": "fixed",
    "amount": 500000,
    "enrol": {
        "honours": MODEL_WORKERS,
        "hardship": IN_HARDSHIP,
        "amounts_by_grade": {"一般困难": 500000, "特别困难": 1200000},
    },
}
STUDIO = {"kind": "fixed", "amount": 7000000}
STUDIO_TOPUP = {"kind": "fixed", "amount": 3000000}

# code, name, kind, organiser (None: the city), entry, levels, rule, yearly budget (yuan)
PROGRAMMES = [
    ("cert", "技能等级证书补贴", "certificate", None, "apply", 3, CERTIFICATE_V1, "2,000,000"),
    ("illness", "大病救助", "illness", None, "apply", 2, ILLNESS, "3,000,000"),
    ("hardship", "困难劳模帮扶", "hardship", None, "enrol", 2, HARDSHIP, "1,000,000"),
    ("spring", "春节慰问金", "condolence", CHAOYANG, "enrol", 2, SPRING, "500,000"),
    ("studio", "创新工作室资助", "studio", None, "apply", 2, STUDIO, "7,000,000"),
    ("studio_topup", "创新工作室区级配套", "studio", CHAOYANG, "apply", 2, STUDIO_TOPUP,
     "3,000,000"),
]  # fmt: skip
DESCRIPTIONS = {
    "cert": "会员取得国家职业资格或职业技能等级证书的，按等级给予一次性补贴；每证补贴一次。",
    "illness": "会员患重大疾病，扣除医保、政府救助和职工互助保障后自付费用较高的，按自付费用"
    "和困难等级给予一次性救助（2,000–20,000元）。",
    "hardship": "劳模专项资金：对认定为困难的劳动模范按月发放帮扶金。",
    "spring": "春节前向区内困难劳模发放慰问金，须在春节前最后一个工作日前到账。",
    "studio": "劳模和工匠人才创新工作室，每室每年资助，连续三年，凭年度成果报告拨付。",
    "studio_topup": "区级配套：市级资助之外每室每年配套 3 万元。",
}
STAFF = ("admin", "laomo", "chaoyang", "chaoyang_street", "chaoyang_jc")


def build(world, fake, rng) -> None:
    say = getattr(world, "say", lambda text: None)
    User = get_user_model()
    world.staff = {u.username: u for u in User.objects.filter(username__in=STAFF)}
    laomo, chaoyang = world.staff["laomo"], world.staff["chaoyang"]
    city = OrgUnit.objects.get(parent__isnull=True)
    cy = OrgUnit.objects.get(code=CHAOYANG)

    world.programmes, world.budgets = {}, {}
    with transaction.atomic():
        for code, name, kind, organiser, entry, levels, rule, yearly in PROGRAMMES:
            unit = cy if organiser == CHAOYANG else city
            actor = chaoyang if organiser == CHAOYANG else laomo
            since = date(2018, 1, 5) if code == "illness" else date(2025, 1, 6)
            with as_of(at(since)):
                programme = programme_create(
                    actor=actor, org_unit=unit, code=code, name=name, kind=kind, rule=rule,
                    entry=entry, levels=levels, description=DESCRIPTIONS[code],
                    note="项目设立时的标准",
                )  # fmt: skip
            world.programmes[code] = programme
            years = [2018, 2025, 2026, 2027] if code == "illness" else [2025, 2026, 2027]
            for year in years:
                amount = "800,000" if year == 2018 else yearly
                with as_of(at(date(year - 1, 12, 20) if year > 2018 else since)):
                    world.budgets[code, year] = budget_set(
                        actor=actor, programme=programme, org_unit=unit, year=year,
                        amount=amount,
                    )  # fmt: skip
        # Chaoyang's own part of the city's critical-illness aid (a node's budget).
        for year in (2026, 2027):
            with as_of(at(date(year - 1, 12, 22))):
                world.budgets["illness@chaoyang", year] = budget_set(
                    actor=chaoyang, programme=world.programmes["illness"], org_unit=cy,
                    year=year, amount="400,000",
                )  # fmt: skip
        with as_of(at(date(2025, 12, 29))):
            rule_change(
                actor=laomo, programme=world.programmes["cert"], rule=CERTIFICATE_V2,
                note="2026年起社会工作者职业资格纳入补贴范围",
            )  # fmt: skip
    say(
        f"资金帮扶：{len(world.programmes)} 个项目，"
        f"{Budget.objects.filter(programme__in=world.programmes.values()).count()} 笔年度预算"
    )
    _hardship(world, fake, rng, city, cy)
    say(f"资金帮扶：{len(world.hardship)} 名困难劳模（含八旬老劳模 {world.elder.name}）")


def _union_of(user) -> OrgUnit:
    post = Post.objects.filter(user=user, is_active=True).select_related("org_unit").first()
    return post.org_unit


def _model_workers(exclude_district: OrgUnit) -> list[Person]:
    """People holding an active model-worker award with an active membership, outside
    ``exclude_district`` (its own are made below), in a stable order."""
    holders = Award.objects.filter(
        honour__code__in=MODEL_WORKER_HONOURS, status=Award.Status.ACTIVE, person__isnull=False
    ).values("person_id")
    members = Membership.objects.filter(status=Membership.Status.ACTIVE).values("person_id")
    return list(
        Person.objects.filter(pk__in=holders)
        .filter(pk__in=members)
        .exclude(access.subtree_q(exclude_district, via="org_unit"))
        .select_related("org_unit")
        .order_by("pk")
    )


def _chaoyang_model_worker(world, rng, grassroots, *, name, gender, born, since_year):
    """A Chaoyang model worker made for the story: registered, a member of ``grassroots``
    holding the union's member card, with the city's model-worker title of ``since_year``."""
    admin = world.staff["admin"]
    female = gender == "F"
    seq = rng.randrange(0, 500) * 2 + (0 if female else 1)
    body = f"{CHAOYANG}{born:%Y%m%d}{seq:03d}"
    person = person_create(
        actor=admin,
        org_unit=grassroots,
        data={
            "name": name,
            "gender": gender,
            "birth_date": born,
            "id_number": body + id_check_digit(body),
        },
    )
    membership_join(actor=admin, person=person, org_unit=grassroots, joined_on=date(1978, 3, 1))
    card_issue(actor=admin, person=person)  # the union card the seed's money was meant for
    award_create(
        actor=admin,
        honour=Honour.objects.get(code="beijing-model-worker"),
        person=person,
        year=since_year,
        deeds="扎根一线数十年，带出一批技术骨干。",
    )
    return person


def _hardship(world, fake, rng, city: OrgUnit, cy: OrgUnit) -> None:
    laomo, chaoyang = world.staff["laomo"], world.staff["chaoyang"]
    grassroots = _union_of(world.staff["chaoyang_jc"])  # the Chaoyang grassroots login's union
    world.hardship = {}
    with transaction.atomic():
        world.elder = _chaoyang_model_worker(
            world, rng, grassroots, name="张桂芬", gender="F", born=date(1942, 11, 8),
            since_year=1989,
        )  # fmt: skip
        world.dormant = _chaoyang_model_worker(
            world, rng, grassroots, name="刘长顺", gender="M", born=date(1956, 4, 17),
            since_year=2000,
        )  # fmt: skip
        # The elder's first recognition (一般困难), revised two years later: kept as history.
        with as_of(at(date(2019, 5, 10))):
            hardship_set(
                actor=chaoyang, person=world.elder, grade="一般困难", since=date(2019, 5, 10),
                note="年事已高，收入仅有退休金",
            )  # fmt: skip
        stories = [
            (
                world.elder,
                "特别困难",
                date(2021, 3, 15),
                "年逾八旬，独居，患慢性病，收入仅有退休金",
            ),
            (world.dormant, "一般困难", date(2024, 6, 3), "退休后家庭收入低，配偶长期患病"),
        ]
        others = _model_workers(cy)
        rng.shuffle(others)
        for person in others[: HARDSHIP_RECORDS - len(stories)]:
            grade = "特别困难" if rng.random() < 0.3 else "一般困难"
            since = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1200))
            note = rng.choice(["因病致困", "家庭成员重病", "下岗后收入低", "子女就学负担重"])
            stories.append((person, grade, since, note))
        # A few more in Chaoyang among the city's model workers, if the demo has them.
        cy_workers = [
            p
            for p in Person.objects.filter(
                access.subtree_q(cy, via="org_unit"),
                pk__in=Award.objects.filter(
                    honour__code__in=MODEL_WORKER_HONOURS, status=Award.Status.ACTIVE
                ).values("person_id"),
                memberships__status=Membership.Status.ACTIVE,
            )
            .exclude(pk__in=[world.elder.pk, world.dormant.pk])
            .order_by("pk")[:3]
        ]
        for person in cy_workers:
            stories.append((person, "一般困难", date(2025, 3, 1), "因病致困"))
        for person, grade, since, note in stories:
            actor = chaoyang if _within(person, cy) else laomo
            with as_of(at(since)):
                world.hardship[person.pk] = hardship_set(
                    actor=actor, person=person, grade=grade, since=since, note=note
                )


def _within(person: Person, district: OrgUnit) -> bool:
    from gonghui.funds.programmes.selectors import hardship_union
    from gonghui.orgs.models import path_contains

    return path_contains(district.path, hardship_union(person).path)
