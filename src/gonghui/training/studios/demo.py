"""Demo 创新工作室（成员、年度成果、联盟视图）: 30 studios in the four demo districts (职工 /
劳模 / 工匠 mixed; city and district level; founded 2015–2023; named after people of the
registry holding an honour; each led by a member of its unit's union), the contests
demo's offered studios accepted by their unions, members and apprentices, and three years
of output reports (the three years before this one) with plausible figures (patents with
their numbers, benefit in 万元), mostly approved by the district and then the city, a few
waiting at the district or the city, one returned for correction. All through the
services, each step at its date. Chaoyang's studios keep last year's reports approved:
the funds demo, run after this one, applies for their grants against them.

Leaves ``world.studios`` (the registered studios)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common import workdays
from gonghui.common.demo import DISTRICT_USERS, as_of, at
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Membership, Person, Unit
from gonghui.registry.models import Award, Studio
from gonghui.training.studios import services

PER_DISTRICT = {"110105": 8, "110108": 8, "110101": 7, "JKQ": 7}  # 30 in all
TRADES = ["焊接", "数控加工", "电力运维", "汽车制造", "轨道交通", "医疗护理", "软件开发", "建筑施工", "精密装配", "化工工艺"]  # fmt: skip
FOCUS = {
    "焊接": ["一种焊缝自动跟踪装置", "一种薄板焊接变形控制夹具", "一种焊接烟尘净化系统"],
    "数控加工": ["一种五轴机床刀具补偿方法", "一种数控车床快速换刀装置", "一种零件在线检测工装"],
    "电力运维": ["一种带电作业绝缘工具", "一种配电柜温度监测装置", "一种电缆故障定位方法"],
    "汽车制造": ["一种车身涂装质量检测方法", "一种总装线防错装置", "一种电池包密封检测工装"],
    "轨道交通": ["一种道岔故障预警系统", "一种车辆转向架检修平台", "一种接触网巡检机器人"],
    "医疗护理": ["一种防压疮护理垫", "一种输液自动报警装置", "一种新生儿转运保温箱"],
    "软件开发": ["一种工单智能分派方法", "一种设备运行数据采集系统", "一种能耗分析平台"],
    "建筑施工": ["一种装配式墙板吊装夹具", "一种高支模监测装置", "一种混凝土养护喷淋系统"],
    "精密装配": ["一种轴承压装定位工装", "一种微型电机装配夹具", "一种扭矩自动复核装置"],
    "化工工艺": ["一种反应釜温控方法", "一种废液回收装置", "一种管道泄漏检测装置"],
}
KIND_WORD = {"worker": "职工", "model_worker": "劳模", "craftsman": "工匠"}
# (studio index within the whole demo, years back) → the state that report is left in;
# the rest are approved. Index 0–7 are Chaoyang's: its first three keep last year approved.
LEFT = {
    (4, 1): "submitted",
    (9, 1): "submitted",
    (17, 1): "submitted",
    (12, 1): "district_ok",
    (22, 1): "district_ok",
    (27, 1): "district_ok",
    (25, 2): "returned",
}


def patent_number(rng, year: int) -> str:
    """A patent number in the office's form, with its check character: ZL + year + type
    (1 invention, 2 utility model) + a 7-digit serial, a dot and the check (mod 11)."""
    body = f"{year}{rng.choice('122')}{rng.randrange(10**6, 10**7):07d}"
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    check = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    return f"ZL{body}.{'X' if check == 10 else check}"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo evidence\n", content_type="application/pdf")


def build(world, fake, rng) -> None:
    names = ["admin"] + [f"{u}{x}" for u in DISTRICT_USERS.values() for x in ("", "_street")]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=names)}
    admin = users.get("admin")
    if admin is None:
        world.say("创新工作室：缺少演示账号，跳过")
        world.studios = []
        return
    world.studios = []
    honoured = list(
        Person.objects.filter(merged_into__isnull=True, awards__status=Award.Status.ACTIVE)
        .distinct()
        .order_by("pk")[:400]
    )
    this_year = workdays.today().year
    index = 0
    for code, count in PER_DISTRICT.items():
        district = OrgUnit.objects.filter(code=code).first()
        name = DISTRICT_USERS[code]
        street_user, district_user = users.get(f"{name}_street"), users.get(name)
        if district is None or street_user is None or district_user is None:
            world.say(f"创新工作室：{code} 缺少演示区或账号，跳过")
            continue
        # Units of the district's first street (whose staff file the reports); people of the
        # whole district (a small demo has few in one street).
        street = district.children.order_by("path").first()
        people = list(
            Person.objects.filter(
                access.subtree_q(district, via="memberships__org_unit"),
                memberships__status=Membership.Status.ACTIVE,
                merged_into__isnull=True,
            )
            .distinct()
            .order_by("pk")[:400]
        )
        units = list(
            Unit.objects.filter(access.subtree_q(street, via="org_unit")).order_by("pk")[:count]
        )
        if not units or len(people) < 10:
            world.say(f"创新工作室：{district.name}的演示单位或会员不足，跳过")
            continue
        for n in range(count):
            studio = _studio(
                rng, district_user, units[n % len(units)], people, honoured, index, this_year
            )
            _members(rng, district_user, studio, people)
            _reports(rng, studio, street_user, district_user, admin, index, this_year)
            world.studios.append(studio)
            index += 1
    _offers(admin, rng, this_year)
    world.say(
        f"创新工作室：{len(world.studios)} 个工作室，{this_year - 3}–{this_year - 1} 年度成果"
    )


def _studio(rng, actor, employer, people, honoured, index: int, this_year: int) -> Studio:
    kind = ["craftsman", "model_worker", "worker"][index % 3]
    trade = TRADES[index % len(TRADES)]
    leader = people[(index * 7) % len(people)]
    named = honoured[index % len(honoured)] if honoured and kind != "worker" else None
    who = named.name if named is not None else leader.name
    founded = 2015 + (index * 5) % 9  # 2015–2023
    with as_of(at(date(founded, 4, 20))):
        return services.studio_register(
            actor=actor,
            org_unit=employer.org_unit,
            name=f"{who}{trade}{KIND_WORD[kind]}创新工作室",
            kind=kind,
            level="city" if index % 3 == 0 else "district",
            employer=employer,
            leader=leader,
            named_after=named,
            trade=trade,
            founded_year=founded,
        )


def _members(rng, actor, studio: Studio, people) -> None:
    chosen = rng.sample([p for p in people if p.pk != studio.leader_id], rng.randint(4, 7))
    for n, person in enumerate(chosen):
        services.studio_member_add(
            actor=actor,
            studio=studio,
            person=person,
            role="apprentice" if n < 2 else "member",
            joined_on=date(studio.founded_year, rng.randint(5, 12), rng.randint(1, 28)),
        )


def _figures(rng, studio: Studio, year: int) -> dict:
    titles = FOCUS[studio.trade]
    patents = [
        {"number": patent_number(rng, year), "title": rng.choice(titles)}
        for _ in range(rng.randint(1, 6))
    ]
    return {
        "year": str(year),
        "patents": patents,
        "innovations": str(rng.randint(2, 9)),
        "apprentices": str(rng.randint(1, 6)),
        "trained": str(rng.randint(30, 180)),
        "benefit": str(rng.randint(40, 2200) * 10_000),  # 万元
        "saved": f"{rng.randint(5, 300) * 10_000}.{rng.randint(0, 99):02d}",
        "summary": f"{year}年完成技术攻关{rng.randint(3, 12)}项，开展名师带徒与技能培训。",
    }


def _reports(rng, studio, maker, district, city, index: int, this_year: int) -> None:
    for back in (3, 2, 1):
        year = this_year - back
        if year < studio.founded_year:
            continue
        state = LEFT.get((index, back), "approved")
        with as_of(at(date(year + 1, 2, 10 + index % 15), 10)):
            report = services.studio_report_submit(
                actor=maker,
                studio=studio,
                evidence=[_pdf(f"{year}年度成果证明.pdf")],
                **_figures(rng, studio, year),
            )
        if state == "submitted":
            continue
        with as_of(at(date(year + 1, 3, 16), 15)):
            if state == "returned":
                services.studio_report_review(
                    actor=district,
                    report=report,
                    decision="return",
                    note="专利清单中两项尚未授权，请附授权公告后重新提交",
                )
                continue
            report = services.studio_report_review(
                actor=district, report=report, decision="approve", note="材料齐全，同意报市级审核"
            )
        if state == "district_ok":
            continue
        with as_of(at(date(year + 1, 4, 20), 11)):
            services.studio_report_review(actor=city, report=report, decision="approve")


def _offers(admin, rng, this_year: int) -> None:
    """The studios the contests demo offered: accepted by their unions (挂牌)."""
    for studio in Studio.objects.filter(status=Studio.Status.OFFERED).order_by("pk"):
        services.studio_accept(
            actor=admin,
            studio=studio,
            level="district",
            kind="craftsman",
            trade=rng.choice(TRADES),
            founded_year=this_year,
        )
