"""Demo member services (会员服务), after the reports on 密云区总工会 and 北京经济技术开发区:

* the 小红卡 (工会会员互助服务卡) for the members: nearly all hold one, a few have none yet,
  one card is suspended, one was reported lost and reissued; one member login (``huiyuan``);
* the service-card merchants of 密云 (美容美发, 洗车修车, 家政服务, 购物游园, 观影, 就医),
  with 玫瑰情园's counter account ``rose_counter``, and the 关爱职工伙伴计划 of
  北京经济技术开发区 (医疗健康, 生活服务, 文化体育, 餐饮美食);
* three giveaways of 密云区总工会: the 重阳 孝亲枕 (first come, first served: sold out, one
  item given back to the waitlist, being picked up), the 五一 玫瑰情园 tickets (a lottery:
  registered, frozen, drawn, being picked up) and the farm products of the poverty-relief
  projects, opening tomorrow at 10:00.

Everything goes through the services, so it is audited like real work. The two finished
giveaways happened in the past, and the services read the clock to keep their rules (a
lottery is published before registration opens and frozen after it closes, an item is given
back before the pickup starts): those steps are replayed as at their moment (``common.demo.as_of``).
Their pickup windows are still open, so the pickups are accepted now, at the real counter,
and a visitor can accept the codes left (``rose_counter``) or show one (``huiyuan``).

Deterministic from ``rng`` in who holds a card and who claims or registers what; card
numbers, receipts, pickup codes and the lottery's seed come from ``secrets`` in the
services, as they must, so who wins the lottery (and whose tickets are picked up) differs
from run to run."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import pii
from gonghui.common.demo import DISTRICT_USERS, Login, as_of, at
from gonghui.common.errors import ValidationFailed
from gonghui.common.workdays import today
from gonghui.orgs.demo import demo_password_set, demo_user
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people.models import Membership, Person
from gonghui.perks import passes
from gonghui.perks.cards.imports import IMPORT_COLUMNS, cards_import
from gonghui.perks.cards.services import card_issue, card_reissue, card_suspend
from gonghui.perks.counter.services import card_verify, pickup_accept
from gonghui.perks.giveaways import claims
from gonghui.perks.giveaways.services import (
    claim_cancel,
    claims_seal,
    giveaway_create,
    giveaway_draw,
    giveaway_freeze,
    giveaway_publish,
    waitlist_rank,
)
from gonghui.perks.merchants.services import (
    location_add,
    merchant_create,
    merchant_staff_add,
    offer_save,
)
from gonghui.perks.models import Card, Claim, Giveaway, Location, Merchant, MerchantStaff

MIYUN, YIZHUANG = "110118", "JKQ"
COUNTER = "rose_counter"
MEMBER = "huiyuan"

Offer = tuple[str, str, str]  # title, discount, terms


@dataclass
class Shop:
    name: str
    category: str
    discount: str
    description: str
    locations: list[tuple[str, str]]
    offers: list[Offer]


# The 小红卡 merchants of 密云区总工会: one or more merchants in each of its six categories.
CARD_MERCHANTS = [
    Shop(
        "玫瑰情园",
        "shopping",
        "持卡会员门票八折，同行家属同享",
        "巨各庄镇蔡家洼的玫瑰主题观光园，五一、重阳等节日承接区总工会“孝满密云”普惠游园活动。",
        [
            ("南门售票处", "密云区巨各庄镇蔡家洼村玫瑰情园南门"),
            ("游客服务中心", "密云区巨各庄镇蔡家洼村玫瑰情园园内"),
        ],
        [
            ("持卡游园门票八折", "八折", "凭小红卡在售票处购票，本人及同行家属（不超过3人）同享。"),
            ("玫瑰手工坊体验满100减20", "满100减20", "每卡每日限一次，不与其他优惠同享。"),
        ],
    ),
    Shop(
        "密云农特产品展销中心",
        "shopping",
        "本地农特产品九五折",
        "展销密云本地蜂蜜、木耳、板栗、山楂制品等农特产品，其中不乏农业助困帮扶项目和"
        "“第一书记”扶贫成果。",
        [("鼓楼大街店", "密云区鼓楼街道鼓楼东大街")],
        [("本地农特产品九五折", "九五折", "特价商品除外。")],
    ),
    Shop(
        "丝雨美容美发",
        "beauty",
        "剪发八折，烫染满200减40",
        "社区美发店，提供剪发、烫染、头皮护理。",
        [("鼓楼店", "密云区鼓楼街道新中街"), ("果园店", "密云区果园街道果园西路")],
        [
            ("会员剪发八折", "八折", "凭小红卡享受，节假日同享。"),
            ("烫染满200减40", "满200减40", "需提前电话预约。"),
        ],
    ),
    Shop(
        "颐康美容养生馆",
        "beauty",
        "面部护理七五折",
        "面部护理、肩颈养护。",
        [("果园店", "密云区果园街道康居小区底商")],
        [("面部基础护理七五折", "七五折", "每卡每月限一次。")],
    ),
    Shop(
        "鑫达汽车美容养护中心",
        "car",
        "每月免费洗车一次，保养工时费八五折",
        "洗车、打蜡、常规保养与快修。",
        [("檀营店", "密云区檀营乡檀营大街"), ("溪翁庄店", "密云区溪翁庄镇溪翁庄大街")],
        [
            ("每月免费洗车一次", "免费洗车一次", "凭小红卡每自然月一次，限本人名下车辆。"),
            ("保养工时费八五折", "八五折", "配件按门店标价。"),
        ],
    ),
    Shop(
        "云湖汽车快修",
        "car",
        "四轮定位免费一次",
        "轮胎、四轮定位、钣金喷漆。",
        [("云湖路店", "密云区果园街道云湖路")],
        [("四轮定位免费一次", "免费一次", "每卡每年一次。")],
    ),
    Shop(
        "巾帼家政服务中心",
        "housekeeping",
        "日常保洁满100减20",
        "日常保洁、家电清洗、老人陪护。",
        [("服务站", "密云区鼓楼街道西门外大街")],
        [
            ("日常保洁满100减20", "满100减20", "需提前一天电话预约。"),
            ("家电清洗九折", "九折", "空调、油烟机、洗衣机。"),
        ],
    ),
    Shop(
        "云水影城",
        "cinema",
        "观影每张立减10元",
        "六个影厅，含一个激光IMAX厅。",
        [("新城店", "密云区果园街道新城购物中心四层")],
        [
            ("观影每张立减10元", "立减10元", "每卡每场限2张，特殊场次除外。"),
            ("周二会员日19.9元观影", "19.9元/张", "每周二全天，限2D影片。"),
        ],
    ),
    Shop(
        "檀州中医门诊部",
        "medical",
        "挂号费全免，中医理疗八折",
        "中医内科、针灸推拿、康复理疗。",
        [("门诊部", "密云区鼓楼街道檀州路")],
        [
            ("挂号费全免", "挂号费全免", "持卡会员本人。"),
            ("中医理疗八折", "八折", "推拿、针灸、艾灸；药品除外。"),
        ],
    ),
]

# 关爱职工伙伴计划 of 北京经济技术开发区总工会: enterprises in its four categories.
PARTNER_PLAN = [
    Shop(
        "亦庄康贝口腔门诊部",
        "health",
        "洁牙免费一次，种植牙九折",
        "口腔检查、洁牙、正畸、种植。",
        [("荣华中路店", "北京经济技术开发区荣华中路")],
        [
            ("职工洁牙免费一次", "免费一次", "每人每年一次，需预约。"),
            ("种植牙九折", "九折", "含种植体及牙冠。"),
        ],
    ),
    Shop(
        "亦城健康体检中心",
        "health",
        "职工体检套餐七五折",
        "个人与团体体检。",
        [("科创街店", "北京经济技术开发区科创十三街")],
        [("职工体检套餐七五折", "七五折", "个人或单位团体预约均可。")],
    ),
    Shop(
        "博兴洁净洗衣",
        "living",
        "衣物干洗八折",
        "干洗、皮具护理、上门收送。",
        [("博兴路店", "北京经济技术开发区博兴六路"), ("天华园店", "北京经济技术开发区天华园一里")],
        [("衣物干洗八折", "八折", "满50元免费上门收送。")],
    ),
    Shop(
        "亦家便民维修",
        "living",
        "上门维修免上门费",
        "家电维修、水电维修、开锁换锁。",
        [("服务站", "北京经济技术开发区宏达北路")],
        [
            ("家电维修免上门费", "免上门费", "开发区范围内。"),
            ("开锁换锁满100减20", "满100减20", "需出示身份证件。"),
        ],
    ),
    Shop(
        "亦庄全民健身中心",
        "culture",
        "游泳、羽毛球场地八折",
        "游泳馆、羽毛球馆、健身房。",
        [("健身中心", "北京经济技术开发区地盛北街")],
        [
            ("游泳月卡八折", "八折", "限本人使用。"),
            ("羽毛球场地满100减30", "满100减30", "工作日白天场次。"),
        ],
    ),
    Shop(
        "亦城书房",
        "culture",
        "图书八五折，饮品九折",
        "书店、阅读空间，定期举办职工读书沙龙。",
        [("荣京东街店", "北京经济技术开发区荣京东街")],
        [("图书八五折", "八五折", "教材教辅除外。")],
    ),
    Shop(
        "凉水河畔烤鸭店",
        "food",
        "堂食满100减20",
        "北京烤鸭、家常菜。",
        [("经海路店", "北京经济技术开发区经海路")],
        [("堂食满100减20", "满100减20", "不与其他优惠同享。")],
    ),
    Shop(
        "工友食堂",
        "food",
        "职工套餐立减5元",
        "面向园区职工的平价食堂。",
        [
            ("科创十街店", "北京经济技术开发区科创十街"),
            ("永昌南路店", "北京经济技术开发区永昌南路"),
        ],
        [("职工午餐套餐立减5元", "立减5元", "工作日 11:00–13:30。")],
    ),
]


def build(fake, rng) -> list[Login]:
    """Returns the logins it made (``common.demo.Login``), for the demo command to print."""
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["admin", *DISTRICT_USERS.values()])
    }
    admin = users["admin"]
    miyun, yizhuang = (OrgUnit.objects.get(code=c) for c in (MIYUN, YIZHUANG))
    by_district = {
        OrgUnit.objects.get(code=code).path: users[name] for code, name in DISTRICT_USERS.items()
    }
    with transaction.atomic():
        member = _cards(admin, by_district, miyun, rng)
        if member is not None:
            _member_login(member)
    with transaction.atomic():
        shops = _merchants(admin, miyun, CARD_MERCHANTS, Merchant.Plan.CARD, rng)
        _merchants(users["yizhuang"], yizhuang, PARTNER_PLAN, Merchant.Plan.PARTNER, rng)
        rose = shops["玫瑰情园"]
        # Made with a throw-away password (the validators refuse the demo's to any account)
        # that any configured policy takes (four classes, 128 characters), then given the
        # demo's, recorded as a demo account.
        throwaway = "Aa1-" + secrets.token_urlsafe(96)
        counter = merchant_staff_add(
            actor=admin, merchant=rose, username=COUNTER, password=throwaway
        ).user
        demo_password_set(counter)
    holders = list(
        Card.objects.filter(status=Card.Status.ACTIVE, org_unit__path__startswith=miyun.path)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    member_id = member.pk if member else None
    venue = {loc.name: loc for loc in rose.locations.all()}
    with transaction.atomic():
        _pillows(admin, counter, miyun, venue["游客服务中心"], holders, member_id, rng)
    with transaction.atomic():
        _park_tickets(admin, counter, miyun, venue["南门售票处"], holders, member_id, rng)
    with transaction.atomic():
        _farm_products(admin, miyun, shops["密云农特产品展销中心"].locations.first())
        _card_uses(counter, holders, member_id, rng)
    return logins()


def logins() -> list[Login]:
    """The member and counter logins the demo made, as the database holds them (``build``
    returns them; a second ``gonghui demo`` prints them again)."""
    found = []
    member = Person.objects.filter(user__username=MEMBER).select_related("org_unit").first()
    if member is not None:
        found.append(Login(MEMBER, "职工会员（持服务卡）", member.org_unit.name))
    counter = MerchantStaff.objects.filter(user__username=COUNTER).select_related("merchant")
    found += [Login(COUNTER, "合作商户核验账号", s.merchant.name) for s in counter]
    return found


# --- The clock -----------------------------------------------------------------------------


# --- Cards ---------------------------------------------------------------------------------


def _cards(admin, by_district: dict[str, object], miyun: OrgUnit, rng) -> Person | None:
    """Cards for the members, as the unions issue them: a 发卡名单 (姓名, 身份证号) imported by
    each district's staff (the city's admin where the demo has none), and one card issued
    at the desk, to the 密云 member who gets the member login (returned). A few members
    have no card yet; in 密云 one card is suspended and one was reported lost and reissued."""
    memberships = (
        Membership.objects.filter(status=Membership.Status.ACTIVE)
        .select_related("person", "org_unit")
        .order_by("person_id", "pk")
    )
    people = list({m.person_id: m for m in memberships}.values())
    local = [m for m in people if miyun.contains(m.org_unit)]
    member = rng.choice(local).person if local else None
    local_others = [m for m in local if member is None or m.person_id != member.pk]
    others = [m for m in people if not miyun.contains(m.org_unit)]
    waiting = rng.sample(local_others, min(2, len(local_others)))
    waiting = {m.person_id for m in waiting + rng.sample(others, min(3, len(others)))}
    lists: dict[object, list[Person]] = {}
    for m in people:
        if m.person_id in waiting or (member is not None and m.person_id == member.pk):
            continue
        actor = by_district.get(m.org_unit.path[: 2 * SEGMENT], admin)
        if _listable(m.person):
            lists.setdefault(actor, []).append(m.person)
        else:
            card_issue(actor=actor, person=m.person)
    for actor, listed in lists.items():
        rows = io.StringIO()
        writer = csv.writer(rows)
        writer.writerow(IMPORT_COLUMNS.values())
        writer.writerows((p.name, p.id_number) for p in listed)
        cards_import(actor=actor, data=rows.getvalue().encode(), filename="服务卡发卡名单.csv")
    if member is not None:
        card_issue(actor=admin, person=member)
    troubled = [
        c
        for c in Card.objects.filter(org_unit__path__startswith=miyun.path).order_by("pk")
        if member is None or c.person_id != member.pk
    ]
    if len(troubled) >= 2:
        suspended, lost = rng.sample(troubled, 2)
        card_suspend(actor=admin, card=suspended, reason="会员反映卡片被他人借用，暂停使用待核实")
        card_reissue(actor=admin, card=lost, reason="会员本人挂失：卡片遗失")
    return member


def _listable(person: Person) -> bool:
    """Whether the import would take the person's ID number. The demo's generated numbers
    pair a region code with any birth year, and the import refuses a code not yet in use
    in that year (房山区 110111 before 1986, …): those members are issued at the desk."""
    try:
        pii.normalize("id_number", person.id_number or "")
    except ValidationFailed:
        return False
    return True


def _member_login(person: Person) -> None:
    """The demo's member login: a user linked to a 密云 member, with no union post (it lands
    on 我的服务). No service links a login to a person yet, so the link is written here,
    with its audit event, as web/demo.py writes the staff logins."""
    user = demo_user(MEMBER, person.name)
    Person.objects.filter(pk=person.pk).update(user=user)
    record(
        actor=None,
        action=Action.DEMO_MEMBER_LOGIN,
        obj=person,
        changes={"user": [None, MEMBER]},
    )


# --- The service-card merchants and the partner plan ----------------------------------------


def _merchants(actor, district: OrgUnit, shops: list[Shop], plan: str, rng) -> dict[str, Merchant]:
    day = today()
    prefix = "010-6904" if plan == Merchant.Plan.CARD else "010-6788"
    made = {}
    for shop in shops:
        signed = day - timedelta(days=rng.randrange(120, 600))
        merchant = merchant_create(
            actor=actor,
            org_unit=district,
            name=shop.name,
            category=shop.category,
            plan=plan,
            discount=shop.discount,
            description=shop.description,
            phone=f"{prefix} {rng.randrange(10000):04d}",
            valid_from=signed,
            valid_until=date(day.year + 2, signed.month, 1) - timedelta(days=1),
        )
        for name, address in shop.locations:
            location_add(
                actor=actor,
                merchant=merchant,
                name=name,
                address=f"{address}{rng.randrange(1, 120)}号",
                district=district,
            )
        for title, discount, terms in shop.offers:
            start = day - timedelta(days=rng.randrange(10, 90))
            offer_save(
                actor=actor,
                merchant=merchant,
                title=title,
                discount=discount,
                terms=terms,
                valid_from=start,
                valid_until=day + timedelta(days=rng.randrange(30, 240)),
            )
        made[shop.name] = merchant
    return made


# --- Giveaways -----------------------------------------------------------------------------


def _key(giveaway: Giveaway, person_id: int, kind: str = "c") -> str:
    return f"demo-{giveaway.pk}-{kind}-{person_id}"


def _claim(giveaway: Giveaway, person_id: int, at: datetime, *, expect: str) -> claims.Answer:
    answer = claims.claim(
        person_id=person_id, giveaway_id=giveaway.pk, key=_key(giveaway, person_id), now=at
    )
    if answer.code != expect:
        raise RuntimeError(f"demo claim {giveaway.title}/{person_id}: {answer.message}")
    return answer


def _pickups(counter, giveaway: Giveaway, share: float, keep: int | None, rng) -> None:
    """Accept some of the codes at the counter, now (the pickup window is open); the
    member login's code is left for the visitor to show."""
    held = giveaway.claims.filter(status=Claim.Status.WON).exclude(person_id=keep).order_by("pk")
    held = list(held.values_list("code", flat=True))
    for code in rng.sample(held, round(len(held) * share)):
        pickup_accept(actor=counter, code=code)


def _pillows(admin, counter, miyun, location, holders, member_id, rng) -> Giveaway:
    """重阳 孝亲枕, first come, first served: sold out within minutes of opening, a few joined
    the waitlist, one member gave theirs back and the first on the waitlist got it."""
    day = today()
    opens = at(day - timedelta(days=10), 10)
    with as_of(at(day - timedelta(days=12), 16)):
        giveaway = giveaway_create(
            actor=admin,
            org_unit=miyun,
            title="重阳敬老·孝亲枕免费领",
            item="孝亲枕",
            description="孝亲敬老崇美德：重阳节前，密云区持卡会员可免费领取孝亲枕一个，"
            "先到先得，领完即止。",
            mode=Giveaway.Mode.FCFS,
            stock=max(1, len(holders) * 3 // 4),
            opens_at=opens,
            closes_at=at(day - timedelta(days=8), 18),
            pickup_from=at(day - timedelta(days=7), 9),
            pickup_until=at(day + timedelta(days=5), 17),
            pickup_location=location,
            pickup_note="凭领取码到玫瑰情园游客服务中心领取，每日 9:00–17:00。",
        )
    with as_of(at(day - timedelta(days=12), 16, 30)):
        giveaway_publish(actor=admin, giveaway=giveaway)
    order = [p for p in holders if p != member_id]
    rng.shuffle(order)
    if member_id is not None:
        order.insert(min(3, len(order)), member_id)
    stock = giveaway.stock
    trying = order[: stock + min(len(order) - stock, max(2, len(order) // 10))]
    moment = opens
    for n, person_id in enumerate(trying):
        moment += timedelta(seconds=rng.expovariate(1 / 1.5))
        _claim(giveaway, person_id, moment, expect="claimed" if n < stock else "sold_out")
    waitlist = trying[stock : stock + 3]
    for person_id in waitlist:
        moment += timedelta(seconds=rng.uniform(5, 60))
        with as_of(moment):
            answer = claims.claim(
                person_id=person_id,
                giveaway_id=giveaway.pk,
                key=_key(giveaway, person_id, "w"),
                waitlist=True,
            )
        if answer.code != "waiting":
            raise RuntimeError(f"demo waitlist {giveaway.title}/{person_id}: {answer.message}")
    if waitlist:
        back = rng.choice([p for p in trying[:stock] if p != member_id])
        claim = giveaway.claims.get(person_id=back)
        with as_of(at(day - timedelta(days=9), 20, 15)):
            claim_cancel(person_id=back, claim_id=claim.pk)
    claims_seal(giveaway=giveaway)
    _pickups(counter, giveaway, 0.6, member_id, rng)
    return giveaway


def _park_tickets(admin, counter, miyun, location, holders, member_id, rng) -> Giveaway:
    """五一 玫瑰情园 tickets, each for three: registration over three days, the list frozen
    at its close, drawn the next morning with the 福彩3D numbers of the closing day; one
    winner gave theirs back and the first on the waitlist got it."""
    day = today()
    opens, closes = at(day - timedelta(days=8), 10), at(day - timedelta(days=5), 18)
    registering = [p for p in holders if rng.random() < 0.85 or p == member_id]
    with as_of(at(day - timedelta(days=9), 15)):
        giveaway = giveaway_create(
            actor=admin,
            org_unit=miyun,
            title="孝满密云·德润人心——五一我陪家人共游园",
            item="玫瑰情园游园套票（一票三人）",
            description="孝亲敬老崇美德，我陪家人共游园：持卡会员登记摇号，中签者领取的套票"
            "可供三人游园。",
            mode=Giveaway.Mode.LOTTERY,
            stock=max(1, len(registering) * 2 // 5),
            opens_at=opens,
            closes_at=closes,
            pickup_from=at(day - timedelta(days=3), 9),
            pickup_until=at(day + timedelta(days=4), 17),
            pickup_location=location,
            pickup_note="凭领取码到玫瑰情园南门售票处领取套票，当日入园有效。",
            public_value_source="登记截止当日中国福利彩票“3D”开奖号码",
        )
    with as_of(at(day - timedelta(days=9), 15, 40)):
        giveaway_publish(actor=admin, giveaway=giveaway)
    window = (closes - opens).total_seconds()
    moments = sorted(opens + timedelta(seconds=window * rng.random() ** 2) for _ in registering)
    rng.shuffle(registering)
    for person_id, moment in zip(registering, moments, strict=True):
        _claim(giveaway, person_id, moment, expect="registered")
    with as_of(closes + timedelta(minutes=5)):
        giveaway_freeze(actor=admin, giveaway=giveaway)
    with as_of(at(day - timedelta(days=4), 10)):
        lottery = f"{rng.randrange(10)} {rng.randrange(10)} {rng.randrange(10)}"
        giveaway_draw(actor=admin, giveaway=giveaway, public_value=lottery)
        waitlist_rank(giveaway=giveaway)  # the task after a draw, run here at once
    won = giveaway.claims.filter(status=Claim.Status.WON).exclude(person_id=member_id)
    waiting = giveaway.claims.filter(status=Claim.Status.WAITING).exists()
    if waiting and won.exists():
        back = rng.choice(list(won.order_by("rank")))
        with as_of(at(day - timedelta(days=4), 16, 30)):
            claim_cancel(person_id=back.person_id, claim_id=back.pk)
    claims_seal(giveaway=giveaway)
    _pickups(counter, giveaway, 0.5, member_id, rng)
    return giveaway


def _farm_products(admin, miyun, location: Location) -> Giveaway:
    """The farm products of 密云's poverty-relief projects, first come, first served,
    published now and opening tomorrow at 10:00 (Beijing): the member login can try it."""
    tomorrow = today() + timedelta(days=1)
    giveaway = giveaway_create(
        actor=admin,
        org_unit=miyun,
        title="迎两节·惠职工·助增收·享温情",
        item="密云农产品大礼包（精品蜂蜜、木耳、古法小榨花生油、山楂汁）",
        description="礼包中的农产品均产自密云本地，来自农业助困帮扶项目、劳模队致富项目及"
        "“第一书记”扶贫助困成果。持卡会员网上抢票，先到先得。",
        mode=Giveaway.Mode.FCFS,
        stock=200,
        opens_at=at(tomorrow, 10),
        closes_at=at(tomorrow + timedelta(days=2), 18),
        pickup_from=at(tomorrow + timedelta(days=3), 9),
        pickup_until=at(tomorrow + timedelta(days=14), 17),
        pickup_location=location,
        pickup_note="凭领取码到密云农特产品展销中心鼓楼大街店领取。",
    )
    return giveaway_publish(actor=admin, giveaway=giveaway)


def _card_uses(counter, holders, member_id, rng) -> None:
    """A few cards shown at 玫瑰情园's counter today (each QR code accepted once)."""
    shown = rng.sample(holders, min(5, len(holders)))
    if member_id is not None and member_id not in shown:
        shown[0:1] = [member_id]
    for person_id in shown:
        card = Card.objects.get(person_id=person_id, status=Card.Status.ACTIVE)
        card_verify(actor=counter, token=passes.card_token(card.pk))
