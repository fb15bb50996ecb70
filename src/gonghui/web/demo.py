"""A realistic, reproducible demo: the tree, staff at every level, people with memberships.

Fixed seeds (Faker zh_CN and ``random``), so two runs on fresh databases build the same
data. The small demo goes through the services (so it is audited like real work); the
large data sets for benchmarks (``--people 1000000``) use bulk inserts and one audit event.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from faker import Faker
from PIL import Image, ImageDraw, ImageFont
from stdnum.cn import uscc

from gonghui.audit.actions import Action
from gonghui.audit.models import AuditEvent
from gonghui.audit.services import record
from gonghui.common import bulk
from gonghui.common.demo import DISTRICT_USERS, Login
from gonghui.common.pii import id_check_digit
from gonghui.common.pinyin import surname
from gonghui.contests.demo import build as build_contests
from gonghui.contests.demo import logins as contests_logins
from gonghui.dashboards.refresh import refresh as refresh_dashboards
from gonghui.funds.demo import build as build_funds
from gonghui.nominations.demo import build as build_nominations
from gonghui.orgs.demo import demo_user
from gonghui.orgs.models import OrgUnit, Post, Role, recount_descendants, segment
from gonghui.orgs.services import post_assign
from gonghui.people import search
from gonghui.people.models import Membership, Person, Trade, Unit
from gonghui.perks.demo import build as build_perks
from gonghui.perks.demo import logins as perks_logins
from gonghui.registry import deeds
from gonghui.registry.models import Category, Honour
from gonghui.registry.services import award_create, person_media_set
from gonghui.training.courses.certificates import NoFont, font_path
from gonghui.training.demo import build as build_training

SEED = 20261122

# Street/township names per district (a few real ones each; the rest are generated).
STREETS = {
    "110101": ["东华门街道", "景山街道", "交道口街道", "安定门街道"],
    "110102": ["西长安街街道", "新街口街道", "月坛街道", "展览路街道"],
    "110105": ["建外街道", "朝外街道", "呼家楼街道", "三里屯街道", "望京街道", "酒仙桥街道"],
    "110106": ["右安门街道", "太平桥街道", "西罗园街道", "卢沟桥街道"],
    "110107": ["八宝山街道", "老山街道", "八角街道", "古城街道"],
    "110108": ["中关村街道", "学院路街道", "海淀街道", "上地街道", "清河街道"],
    "110109": ["大峪街道", "城子街道", "龙泉镇"],
    "110111": ["城关街道", "良乡镇", "长阳镇"],
    "110112": ["中仓街道", "新华街道", "永顺镇", "宋庄镇"],
    "110113": ["胜利街道", "光明街道", "后沙峪镇"],
    "110114": ["城北街道", "回龙观街道", "天通苑北街道"],
    "110115": ["兴丰街道", "清源街道", "亦庄镇"],
    "110116": ["泉河街道", "龙山街道", "雁栖镇"],
    "110117": ["滨河街道", "兴谷街道", "马坊镇"],
    "110118": ["鼓楼街道", "果园街道", "溪翁庄镇"],
    "110119": ["百泉街道", "香水园街道", "康庄镇"],
    "JKQ": ["荣华街道", "博兴街道"],
}
INDUSTRIES = [
    ("CY-JZ", "北京市建设工会"),
    ("CY-JT", "北京市交通运输工会"),
    ("CY-JY", "北京市教育工会"),
    ("CY-WS", "北京市卫生健康工会"),
]
BEIJING_REGIONS = [
    "110101",
    "110102",
    "110105",
    "110106",
    "110107",
    "110108",
    "110111",
    "110112",
    "110114",
    "110115",
    "110103",
    "110104",
]


def _unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def _add_children(parent: OrgUnit, rows: list[tuple[str, str, str]]) -> list[OrgUnit]:
    """Bulk-add children (code, name, level) under ``parent`` with their paths."""
    start = parent.child_count
    units = [
        OrgUnit(
            code=code,
            name=name,
            level=level,
            parent=parent,
            path=parent.path + segment(start + i),
            depth=parent.depth + 1,
        )
        for i, (code, name, level) in enumerate(rows, start=1)
    ]
    OrgUnit.objects.filter(pk=parent.pk).update(child_count=start + len(rows))
    parent.child_count = start + len(rows)
    return OrgUnit.objects.bulk_create(units)


def build_tree(fake: Faker, rng: random.Random, grassroots_per_street: int = 6) -> list[OrgUnit]:
    """Streets under each district, grassroots unions under each street and industry union."""
    grassroots: list[OrgUnit] = []
    city = OrgUnit.objects.get(parent__isnull=True)
    industries = _add_children(city, [(c, n, OrgUnit.Level.INDUSTRY) for c, n in INDUSTRIES])
    for district_code, streets in STREETS.items():
        district = _unit(district_code)
        street_units = _add_children(
            district,
            [
                (f"{district_code}-{i:03d}", f"{name}总工会", OrgUnit.Level.STREET)
                for i, name in enumerate(streets, start=1)
            ],
        )
        for street in street_units:
            grassroots += _add_children(
                street,
                [
                    (
                        f"{street.code}-{j:03d}",
                        f"{fake.company()}工会委员会",
                        OrgUnit.Level.GRASSROOTS,
                    )
                    for j in range(1, grassroots_per_street + 1)
                ],
            )
    for industry in industries:
        grassroots += _add_children(
            industry,
            [
                (f"{industry.code}-{j:03d}", f"{fake.company()}工会", OrgUnit.Level.GRASSROOTS)
                for j in range(1, 11)
            ],
        )
    recount_descendants()  # the tree panel's counts (bulk-made rows skip the services)
    rng.shuffle(grassroots)
    return grassroots


def staff_usernames() -> list[str]:
    """The staff logins ``build_staff`` makes, in its order."""
    names = ["admin", "sysadmin", "secadmin", "auditadmin", "laomo", "auditor"]
    for username in DISTRICT_USERS.values():
        names += [username, f"{username}_street", f"{username}_jc"]
    return names


def exists() -> bool:
    """Whether this database holds the demo, whole or in part (its first login)."""
    return get_user_model().objects.filter(username="admin").exists()


def complete() -> bool:
    """Whether the demo was built to its end: ``run`` records its people last, so a first
    run stopped half-way (Ctrl-C during ``make run``) leaves a demo that ``exists`` but is
    not complete."""
    return AuditEvent.objects.filter(
        action=Action.DEMO_PEOPLE, object_type="demo", object_id="people"
    ).exists()


def logins() -> list[Login]:
    """Every demo login as the database holds it: the staff's posts in the order they were
    made, then the member's and the counter's (``perks.demo.logins``)."""
    posts = (
        Post.objects.filter(user__username__in=staff_usernames())
        .select_related("user", "role", "org_unit")
        .order_by("pk")
    )
    staff = [Login(p.user.username, p.role.name, p.org_unit.name) for p in posts]
    return staff + perks_logins() + contests_logins()


def build_staff(grassroots: list[OrgUnit]) -> list[Login]:
    roles = {r.code: r for r in Role.objects.all()}
    logins: list[Login] = []

    def post(username, full_name, role, unit, scope=Post.Scope.SUBTREE):
        user = demo_user(username, full_name)
        post_assign(actor=None, user=user, org_unit=unit, role=roles[role], scope=scope)
        logins.append(Login(username, roles[role].name, unit.name))
        return user

    city = OrgUnit.objects.get(parent__isnull=True)
    post("admin", "市总管理员", "city_admin", city)
    # The three administrators (三权分立), three accounts: docs/admin-roles.md.
    post("sysadmin", "系统管理员", "sys_admin", city)
    post("secadmin", "安全管理员", "sec_admin", city)
    post("auditadmin", "审计管理员", "audit_admin", city)
    post("laomo", "劳模工作部", "dept_staff", city)
    post("auditor", "审计员", "auditor", city)
    for code, username in DISTRICT_USERS.items():
        district = _unit(code)
        post(username, f"{district.name}干事", "district_staff", district)
        street = district.children.order_by("path").first()
        post(f"{username}_street", f"{street.name}干事", "street_staff", street)
        grassroot = street.children.order_by("path").first()
        post(f"{username}_jc", f"{grassroot.name}干事", "grassroots_staff", grassroot)
    return logins


@dataclass
class PeopleGenerator:
    """Fast, reproducible people: names from Faker pools, valid resident ID numbers."""

    rng: random.Random
    fake: Faker

    def __post_init__(self):
        self.surnames = [self.fake.last_name() for _ in range(400)]
        self.given = [self.fake.first_name() for _ in range(3000)]
        self.seen: set[str] = set()

    def id_number(self, birth: date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{self.rng.choice(BEIJING_REGIONS)}{birth:%Y%m%d}{seq:03d}"
            number = body + id_check_digit(body)
            if number not in self.seen:
                self.seen.add(number)
                return number

    def person(self, unit: OrgUnit) -> Person:
        male = self.rng.random() < 0.55
        birth = date(1955, 1, 1) + timedelta(days=self.rng.randrange(0, 365 * 50))
        return Person(
            name=self.rng.choice(self.surnames)
            + self.rng.choice(self.given)[-self.rng.choice((1, 2)) :],
            gender=Person.Gender.MALE if male else Person.Gender.FEMALE,
            birth_date=birth,
            id_number=self.id_number(birth, male),
            phone=f"1{self.rng.choice('3456789')}{self.rng.randrange(10**9):09d}",
            org_unit=unit,
        )


def build_people(
    gen: PeopleGenerator, grassroots: list[OrgUnit], count: int, *, batch: int = 5000, progress=None
) -> int:
    """Bulk-insert ``count`` people, each with an active membership of their grassroots union."""
    made = 0
    while made < count:
        n = min(batch, count - made)
        units = [grassroots[(made + i) % len(grassroots)] for i in range(n)]
        with transaction.atomic():
            people = [gen.person(u) for u in units]
            bulk.insert(people)
            search.index_people(people, new=True)
            bulk.insert(
                [
                    Membership(
                        person=p,
                        org_unit=p.org_unit,
                        joined_on=date(2000, 1, 1) + timedelta(days=gen.rng.randrange(9000)),
                    )
                    for p in people
                ]
            )
        made += n
        if progress:
            progress(n)
    return made


# Muted backgrounds for the placeholder portraits (the surname in white on one of them).
PORTRAIT_COLOURS = ["#8c2f39", "#2f5d8c", "#3f7a5a", "#7a5a2f", "#5a3f7a", "#2f7a7a", "#6b6b2f"]


def portrait_png(family: str, colour: str, face: ImageFont.FreeTypeFont | None) -> bytes:
    """A placeholder portrait (3:4): a shoulders-and-head silhouette on ``colour`` with the
    surname ``family`` above it, drawn in ``face`` (a CJK font; without one, the silhouette
    only)."""
    width, height = 180, 240
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    shade = (255, 255, 255, 60)
    overlay = Image.new("RGBA", (width, height))
    ghost = ImageDraw.Draw(overlay)
    ghost.ellipse((55, 110, 125, 180), fill=shade)  # head
    ghost.pieslice((20, 180, 160, 320), 180, 360, fill=shade)  # shoulders
    image.paste(overlay, mask=overlay)
    if face is not None:
        draw.text((width / 2, 60), family, font=face, fill="white", anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def build_portraits(actor, rng: random.Random, people: list[Person]) -> int:
    """Placeholder portraits for the people who consented to show one, stored as each
    person's portrait by ``actor`` through the registry's service (so through the files
    layer, audited)."""
    try:
        face = ImageFont.truetype(font_path(), 72)
    except NoFont:
        face = None
    made = 0
    for person in people:
        if "portrait" not in person.public_fields:
            continue
        png = portrait_png(surname(person.name), rng.choice(PORTRAIT_COLOURS), face)
        upload = SimpleUploadedFile("照片.png", png, content_type="image/png")
        person_media_set(actor=actor, person=person, portrait=upload)
        made += 1
    return made


def build_registry(rng: random.Random, grassroots: list[OrgUnit]) -> int:
    """Employers for the grassroots unions, honours across the whole catalogue (through the
    services, so audited), collectives with collective honours; a trade, consent and (with
    consent) a placeholder portrait for each honoured person; deeds written from templates
    by trade and honour (``registry.deeds``)."""
    admin = get_user_model().objects.get(username="admin")
    units = []
    for n, union in enumerate(grassroots):
        body = f"91110{n:012d}"[:17]
        name = union.name.removesuffix("工会委员会").removesuffix("工会")
        units.append(
            Unit(name=name, credit_code=body + uscc.calc_check_digit(body), org_unit=union)
        )
    units = Unit.objects.bulk_create(units)
    by_union = {u.org_unit_id: u for u in units}
    step = max(1, Person.objects.count() // 300)
    honoured = list(Person.objects.select_related("org_unit").order_by("pk")[::step])
    trades = list(Trade.objects.order_by("code"))
    for person in honoured:
        person.employer = by_union.get(person.org_unit_id)
        person.trade = rng.choice(trades)
        person.is_public = rng.random() < 0.7
        shown = ["name", "gender", "employer", "trade", "deeds"]
        if rng.random() < 0.8:  # most who go public show a portrait too
            shown.append("portrait")
        person.public_fields = shown if person.is_public else []
    Person.objects.bulk_update(honoured, ["employer", "trade", "is_public", "public_fields"])
    search.index_people(
        list(Person.objects.filter(pk__in=[p.pk for p in honoured]).select_related("employer"))
    )
    build_portraits(admin, rng, honoured)
    individual = list(Honour.objects.filter(subject="individual"))
    collective = list(Honour.objects.filter(subject="collective"))
    categories = list(Category.objects.all())
    # City titles held before 2020 lead to the national ones of 2020 for half their holders.
    national = {
        city: Honour.objects.get(code=code)
        for city, code in (
            ("beijing-model-worker", "national-model-worker"),
            ("beijing-advanced-worker", "national-advanced-worker"),
        )
    }
    made = 0
    for honour in individual:
        if honour.prerequisites.exists():
            continue  # national titles follow a city one: given below to holders of it
        candidates = [
            p
            for p in honoured
            if honour.level != "district" or honour.conferring_unit.contains(p.org_unit)
        ]
        for person in rng.sample(candidates, min(20, len(candidates))):
            year = rng.randrange(max(honour.first_year, 1990), 2026)
            batch = f"第{(year - 1952) // 5 + 1}批" if honour.cycle == "每五年" else ""
            award_create(
                actor=admin,
                honour=honour,
                person=person,
                year=year,
                batch=batch,
                categories=rng.sample(categories, rng.randrange(3)),
                deeds=deeds.deeds_of(rng, person, honour, year),
            )
            made += 1
            if honour.code in national and year < 2020 and rng.random() < 0.5:
                award_create(
                    actor=admin,
                    honour=national[honour.code],
                    person=person,
                    year=2020,
                    deeds=deeds.deeds_of(rng, person, national[honour.code], 2020),
                )
                made += 1
    for j, unit in enumerate(rng.sample(units, min(40, len(units)))):
        honour = collective[j % len(collective)]
        year = rng.randrange(max(honour.first_year, 2008), 2026)
        award_create(
            actor=admin,
            honour=honour,
            unit=unit,
            year=year,
            deeds=deeds.collective_deeds(
                rng, unit=unit.name, honour=honour.name, level=honour.level, year=year
            ),
        )
        made += 1
    return made


def run(*, people: int, contest_trades: int = 10, progress=None, say=None) -> list[Login]:
    fake = Faker("zh_CN")
    fake.seed_instance(SEED)
    rng = random.Random(SEED)
    with transaction.atomic():
        grassroots = build_tree(fake, rng)
        staff = build_staff(grassroots)
        record(
            actor=None,
            action=Action.DEMO_BUILD,
            object_type="demo",
            object_id="tree",
            changes={"grassroots": [None, len(grassroots)], "staff": [None, len(staff)]},
        )
    gen = PeopleGenerator(rng, fake)
    made = build_people(gen, grassroots, people, progress=progress)
    with transaction.atomic():
        build_registry(rng, grassroots)
    build_nominations(fake, rng)
    build_perks(fake, rng)
    build_contests(fake, rng, trades=contest_trades, say=say)
    build_training(fake, rng, say=say)
    build_funds(fake, rng, say=say)
    record(
        actor=None,
        action=Action.DEMO_PEOPLE,
        object_type="demo",
        object_id="people",
        changes={"people": [None, made]},
    )
    refresh_dashboards()  # the dashboards' figures now, not at the worker's next minute
    return logins()
