"""The applications part of the funds demo (see funds/demo.py), through the services, as
the unions would have worked:

* the 2018 critical-illness aid of the seed: 41 members approved, 528,000元 in all, each
  submitted, verified and reviewed at its 2018 date (the clock set back as the perks and
  contests demos do: ``common.demo.as_of``); amounts from the programme's own table, the mix of
  self-paid bands and hardship grades chosen (deterministically from ``rng``) to add up to
  the seed's sum;
* this year, every apply programme with applications in every state (submitted, verified,
  reviewed where the programme has three levels, approved, rejected with its reason,
  withdrawn);
* the innovation-studio grants (the city's 7万 and Chaoyang's 3万 top-up), released only
  against a studio's approved yearly report: last year's reports that the training demo
  (run before this one) left approved for Chaoyang's studios;
* the demo member ``huiyuan``: one application approved, one pending.

Reads from ``world``: ``programmes`` (code → Programme: cert, illness, studio,
studio_topup). Leaves ``world.illness_2018`` (the 41 entitlements) and ``world.approved``
(this year's entitlements from approved applications)."""

from __future__ import annotations

from datetime import date, timedelta
from math import gcd

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from gonghui.common import money, workdays
from gonghui.common.demo import DISTRICT_USERS, as_of, at
from gonghui.common.errors import DomainError
from gonghui.common.workdays import add_workdays
from gonghui.funds.applications import selectors
from gonghui.funds.applications.services import (
    application_decide,
    application_submit,
    application_withdraw,
)
from gonghui.funds.models import Application, Entitlement
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.registry.models import Studio
from gonghui.training.studios.selectors import approved_reports

MEMBER = "huiyuan"
SEED_YEAR, SEED_PEOPLE, SEED_FEN = 2018, 41, 52_800_000  # "41名会员获得大病救助52.8万元"
TRADES = ["钳工", "焊工", "电工", "车工", "数控车工", "汽车维修工", "装配钳工", "电梯安装维修工"]
DIAGNOSES = ["急性心肌梗死", "恶性肿瘤（肺）", "尿毒症", "脑出血", "白血病", "重症肺炎", "肝硬化"]
HOSPITALS = ["北京协和医院", "北京朝阳医院", "北京大学第三医院", "首都医科大学宣武医院"]
REJECTIONS = {
    "cert": "证书编号在职业技能等级证书查询系统中未能查到，请核对后重新申请",
    "illness": "自付费用票据不全（缺住院费用明细），请补齐后重新申请",
    "studio": "年度成果报告所列专利与工作室主攻方向无关，请说明后重新申请",
    "studio_topup": "区级配套须在市级资助批准后申请，请下一批次申报",
}


def build(world, fake, rng) -> None:
    world.illness_2018, world.approved = [], []
    programmes = getattr(world, "programmes", None) or {}
    if not programmes:
        world.say("资助申请：没有资助项目，跳过")
        return
    staff = _staff()
    if "admin" not in staff:
        world.say("资助申请：没有演示管理员账号，跳过")
        return
    demo = _Demo(world=world, rng=rng, staff=staff, programmes=programmes)
    if "illness" in programmes:
        with transaction.atomic():
            demo.illness_2018()
        world.say(
            f"资助申请：{SEED_YEAR}年大病救助 {len(world.illness_2018)} 人，"
            f"{money.wan(sum(e.amount for e in world.illness_2018))}"
        )
    with transaction.atomic():
        demo.this_year()
        demo.member()
    world.say(f"资助申请：本年度批准 {len(world.approved)} 项，各项目的申请覆盖各个办理状态")


def _staff() -> dict:
    """The demo logins by username: the city's (admin, laomo) and each demo district's
    district, street and grassroots staff (web/demo.py build_staff)."""
    names = ["admin", "laomo"] + [
        f"{u}{suffix}" for u in DISTRICT_USERS.values() for suffix in ("", "_street", "_jc")
    ]
    users = get_user_model().objects.filter(username__in=names)
    return {u.username: u for u in users}


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo document\n", content_type="application/pdf")


def mix(amounts: list[int], count: int, total: int, rng) -> list[int]:
    """``count`` amounts drawn from ``amounts`` that add up to ``total`` exactly, in an
    order shuffled by ``rng`` (a small knapsack over the amounts' common divisor); an empty
    list when no mix can."""
    amounts = sorted(set(amounts))
    unit = 0
    for a in [*amounts, total]:
        unit = gcd(unit, a)
    target = total // unit
    sizes = [a // unit for a in amounts]
    order = sizes[:]
    rng.shuffle(order)
    # reach[(n, s)] = the size taken last to get n amounts summing to s.
    reach: dict[tuple[int, int], int] = {(0, 0): 0}
    frontier = {(0, 0)}
    for n in range(count):
        nxt = set()
        for _, s in frontier:
            for size in order:
                key = (n + 1, s + size)
                if s + size <= target and key not in reach:
                    reach[key] = size
                    nxt.add(key)
        frontier = nxt
    if (count, target) not in reach:
        return []
    picked, n, s = [], count, target
    while n:
        size = reach[(n, s)]
        picked.append(size * unit)
        n, s = n - 1, s - size
    rng.shuffle(picked)
    return picked


class _Demo:
    def __init__(self, *, world, rng, staff, programmes):
        self.world, self.rng, self.staff, self.programmes = world, rng, staff, programmes
        self.used: set[int] = set()  # people given an application already
        self.serial = 0

    # --- Who ---------------------------------------------------------------------------------

    def members(self, under: list[OrgUnit], n: int) -> list[Person]:
        """``n`` people with an active membership under ``under`` (none of them applied
        yet), picked by ``rng`` from each unit's members in a fixed order."""
        pools = []
        for unit in under:
            pool = list(
                Person.objects.filter(
                    access.subtree_q(unit, via="memberships__org_unit"),
                    memberships__status=Membership.Status.ACTIVE,
                    merged_into__isnull=True,
                )
                .exclude(pk__in=self.used)
                .exclude(user__username=MEMBER)
                .order_by("pk")
                .values_list("pk", flat=True)[:400]
            )
            self.rng.shuffle(pool)
            pools.append(pool)
        found: list[int] = []
        while len(found) < n and any(pools):  # in turn from each unit, till enough
            for pool in pools:
                if pool and len(found) < n:
                    found.append(pool.pop())
        found = found[:n]
        self.used |= set(found)
        return list(Person.objects.filter(pk__in=found).order_by("pk"))

    def districts(self) -> list[OrgUnit]:
        return list(OrgUnit.objects.filter(code__in=DISTRICT_USERS).order_by("path"))

    def streets(self) -> list[OrgUnit]:
        """The units of the demo's street logins (their staff can verify there)."""
        streets = []
        for username in DISTRICT_USERS.values():
            user = self.staff.get(f"{username}_street")
            if user is not None:
                streets += [OrgUnit.objects.get(pk=g.unit_id) for g in access.grants(user)]
        return streets

    def deciders(self) -> list:
        """Everyone who may decide, most local first: a decision is made by the first of
        them whose post may decide the level and who neither made nor decided it before."""
        order = [f"{u}{s}" for s in ("_jc", "_street", "") for u in DISTRICT_USERS.values()]
        return [self.staff[name] for name in [*order, "laomo", "admin"] if name in self.staff]

    def maker(self, person: Person):
        own = person.user if person.user_id else None
        return own or self.staff["admin"]

    # --- What --------------------------------------------------------------------------------

    def rule(self, programme) -> dict:
        version = selectors.current_rule(programme)
        return version.rule if version else {}

    def cert_facts(self, programme, today: date) -> dict:
        rule = self.rule(programme)
        self.serial += 1
        levels = [*rule.get("levels", {}), *rule.get("aliases", {})] or ["一级"]
        listed = (rule.get("trades") or {}).get(str(today.year)) or TRADES
        return {
            "certificate_no": f"{today.year}{self.rng.randrange(10**8):08d}{self.serial:04d}",
            "level": self.rng.choice(levels),
            "trade": self.rng.choice(listed),
            "issued_on": (today - timedelta(days=self.rng.randrange(20, 300))).isoformat(),
        }

    def illness_options(self, programme) -> dict[int, tuple[int, str]]:
        """Each amount of the table with a self-paid cost (fen) and grade that give it."""
        bands = self.rule(programme).get("bands", [])
        options: dict[int, tuple[int, str]] = {}
        for n, band in enumerate(bands):
            upto = bands[n + 1]["from"] if n + 1 < len(bands) else band["from"] + 10_000_000
            for grade, amount in band["amounts"].items():
                options.setdefault(amount, (band["from"], grade, upto))
        return {a: (self.rng.randrange(f, u) // 100 * 100, g) for a, (f, g, u) in options.items()}

    def illness_facts(
        self, programme, today: date, amount: int | None = None, *, grade: str = ""
    ) -> dict:
        """An illness application's facts; ``grade`` (a person's hardship record's) limits
        the amounts to those of that grade: the service refuses any other."""
        options = self.illness_options(programme)
        if grade:
            options = {a: o for a, o in options.items() if o[1] == grade} or options
        amount = amount if amount in options else self.rng.choice(sorted(options))
        self_paid, grade = options[amount]
        return {
            "self_paid": money.yuan(self_paid),
            "grade": grade,
            "diagnosis": self.rng.choice(DIAGNOSES),
            "event_date": (today - timedelta(days=self.rng.randrange(10, 60))).isoformat(),
            "hospital": self.rng.choice(HOSPITALS),
        }

    def documents(self, programme, facts) -> dict:
        if programme.kind == "illness":
            return {
                "diagnosis_doc": _pdf("诊断证明.pdf"),
                "bills_doc": _pdf("住院费用票据.pdf"),
                "hardship_doc": _pdf("困难职工证明.pdf"),
            }
        if programme.kind == "studio":
            return {}  # the approved report's evidence, reviewed in training
        return {"certificate_doc": _pdf("职业技能等级证书.pdf")}

    # --- How ---------------------------------------------------------------------------------

    def submit(self, programme, person, facts, *, maker=None) -> Application:
        if programme.kind == "studio":
            maker, person = maker or self.staff["admin"], None
        else:
            maker = maker or self.maker(person)
        return application_submit(
            actor=maker,
            programme=programme,
            facts=facts,
            documents=self.documents(programme, facts),
            person=None if person is None or maker == person.user else person,
        )

    def decide(self, app: Application, *, upto: int, reject: str = "") -> Application:
        """Pass ``app`` from the level it waits at up to ``upto`` (rejecting at the last
        with the reason ``reject``), each level by the first decider allowed there."""
        for level in range(app.reviews.count() + 1, upto + 1):
            decider = next(
                u
                for u in self.deciders()
                if u.pk not in {app.created_by_id, app.applicant_user_id}
                and not app.reviews.filter(reviewer=u).exists()
                and selectors.reviewer_grant(u, app, level) is not None
            )
            last = level == upto and reject
            app = application_decide(
                actor=decider,
                application=app,
                decision="reject" if last else "pass",
                note=reject if last else self.rng.choice(["", "材料齐全，情况属实", "同意"]),
            )
        return app

    def approve(self, app: Application) -> Entitlement:
        app = self.decide(app, upto=app.programme.levels)
        return Entitlement.objects.get(application=app)

    # --- The 2018 critical-illness aid ------------------------------------------------------

    def illness_2018(self) -> None:
        programme = self.programmes["illness"]
        amounts = mix(sorted(self.illness_options(programme)), SEED_PEOPLE, SEED_FEN, self.rng)
        if not amounts:
            self.world.say("资助申请：大病救助标准凑不出 41 人 52.8 万元，跳过 2018 年")
            return
        people = self.members(self.districts(), SEED_PEOPLE)
        day = date(SEED_YEAR, 2, 26)
        for person, amount in zip(people, amounts, strict=False):
            day = add_workdays(day, self.rng.randrange(1, 5))
            with as_of(at(day, 9)):
                facts = self.illness_facts(programme, day, amount)
                app = self.submit(programme, person, facts)
            checked = add_workdays(day, 3)
            with as_of(at(checked, 15)):
                app = self.decide(app, upto=1)
            with as_of(at(add_workdays(checked, 4), 11)):
                self.world.illness_2018.append(self.approve(app))

    # --- This year: every state -------------------------------------------------------------

    def this_year(self) -> None:
        today = workdays.today()
        if "cert" in self.programmes:
            programme = self.programmes["cert"]
            streets = self.streets() or self.districts()
            people = self.members(streets, 9)
            self.states(programme, people, lambda: self.cert_facts(programme, today))
        if "illness" in self.programmes:
            programme = self.programmes["illness"]
            people = self.members(self.districts(), 8)
            self.states(programme, people, lambda: self.illness_facts(programme, today))
        studios = self.studios(today.year - 1)
        for code in ("studio", "studio_topup"):
            if code in self.programmes:
                self.studio_states(self.programmes[code], studios, today.year - 1)

    def states(self, programme, people: list[Person], facts) -> None:
        """The people's applications in every state the programme has."""
        plan = ["approved", "approved", "approved", "submitted", "verified", "rejected"]
        plan += ["reviewed"] * (programme.levels == 3) + ["withdrawn"]
        for person, state in zip(people, plan, strict=False):
            try:
                app = self.submit(programme, person, facts())
                self.to_state(app, state)
            except DomainError as exc:  # e.g. a budget spent: the demo goes on without it
                self.world.say(f"资助申请：{programme.name} {state} 未能生成（{exc}）")

    def to_state(self, app: Application, state: str) -> None:
        code = next((c for c, p in self.programmes.items() if p.pk == app.programme_id), "")
        if state == "approved":
            self.world.approved.append(self.approve(app))
        elif state == "verified":
            self.decide(app, upto=1)
        elif state == "reviewed":
            self.decide(app, upto=2)
        elif state == "rejected":
            self.decide(
                app, upto=min(2, app.programme.levels), reject=REJECTIONS.get(code, "材料不全")
            )
        elif state == "withdrawn":
            application_withdraw(
                actor=app.created_by, application=app, reason="信息填写有误，撤回重填"
            )

    def studios(self, year: int) -> list[Studio]:
        """Chaoyang's studios with a leader and an approved report of ``year`` (the
        training demo's), first three by name."""
        chaoyang = OrgUnit.objects.filter(code="110105").first()
        if chaoyang is None:
            return []
        found = list(
            Studio.objects.filter(
                access.subtree_q(chaoyang, via="org_unit"),
                status=Studio.Status.ACTIVE,
                leader__isnull=False,
                pk__in=approved_reports(
                    Studio.objects.filter(access.subtree_q(chaoyang, via="org_unit")).values("pk")
                )
                .filter(year=year)
                .values("studio_id"),
            ).order_by("name", "pk")[:3]
        )
        if len(found) < 3:
            self.world.say(
                f"资助申请：朝阳区只有 {len(found)} 个工作室有{year}年度审核通过的成果报告，"
                "工作室资助的部分状态未能生成"
            )
        return found

    def studio_states(self, programme, studios: list[Studio], year: int) -> None:
        """The grant of ``year`` in every state: the first studio's withdrawn, rejected,
        then approved; the second's submitted; the third's verified."""
        plan = [("withdrawn", "rejected", "approved"), ("submitted",), ("verified",)]
        try:
            for studio, states in zip(studios, plan, strict=False):
                for state in states:
                    app = self.submit(programme, None, {"studio": studio.pk, "year": str(year)})
                    self.to_state(app, state)
        except DomainError as exc:
            self.world.say(f"资助申请：{programme.name}的工作室资助未能全部生成（{exc}）")

    # --- The demo member ---------------------------------------------------------------------

    def member(self) -> None:
        person = Person.objects.filter(user__username=MEMBER).first()
        if person is None or selectors.active_membership(person) is None:
            return
        today = workdays.today()
        if "illness" in self.programmes:
            programme = self.programmes["illness"]
            asked, decided = today - timedelta(days=20), today - timedelta(days=10)
            with as_of(at(asked, 9)):
                facts = self.illness_facts(
                    programme, asked, grade=selectors.hardship_grade(person, asked)
                )
                app = self.submit(programme, person, facts)
            with as_of(at(decided, 15)):
                self.world.approved.append(self.approve(app))
        if "cert" in self.programmes:
            programme = self.programmes["cert"]
            self.submit(programme, person, self.cert_facts(programme, today))
