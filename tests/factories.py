"""Test data built through the same services the platform uses, as an office enters it: a
unit through ``orgunit_create``, a person through ``person_create`` (each with its audit
event), acting as ``builder``, a city administrator.

Accounts are laid down as the demo lays down its staff (a row for the user and one for the
post, no event): no service makes the first account, since none exists yet to act, and the
audit log's tests make an account midway and then count the events a district auditor sees
(tests/audit/test_web.py), which ``post_assign``'s event in that district would change."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model

from gonghui.orgs.models import OrgUnit, Post, Role, add_descendants, segment
from gonghui.orgs.services import orgunit_create
from gonghui.people.models import Membership, Person
from gonghui.people.services import EDITABLE, person_create
from gonghui.perks.merchants.services import location_add, merchant_create, offer_save
from gonghui.perks.models import Location, Merchant, Offer

PASSWORD = "Test-passw0rd"
VALID_IDS = [
    "11010519491231002X",
    "110101199003070038",
    "110108198001010015",
    "110105200001010016",
    "110102197506150029",
]
BUILDER = "builder"
User = get_user_model()


def builder():
    """The account the factories act as: a city administrator (every permission, over the
    whole tree), made at first use."""
    return User.objects.filter(username=BUILDER).first() or make_user(
        BUILDER, OrgUnit.objects.get(parent__isnull=True), "city_admin"
    )


def make_unit(parent: OrgUnit, level: str, code: str, name: str) -> OrgUnit:
    return orgunit_create(actor=builder(), parent=parent, code=code, name=name, level=level)


def make_user(username: str, unit: OrgUnit | None, role: str | None, scope: str = "subtree"):
    """An account and, with ``unit``, its post there (no event: see above)."""
    user = User.objects.create_user(username=username, password=PASSWORD)
    if unit is not None:
        Post.objects.create(user=user, org_unit=unit, role=Role.objects.get(code=role), scope=scope)
    return user


def make_person(unit: OrgUnit, name: str = "赵郁", id_number: str | None = None, **extra) -> Person:
    """A person as the registration form enters one: without a resident ID, the reason why
    and (unless given) a birth date; with one, the birth date and sex the number holds."""
    unknown = set(extra) - set(EDITABLE)
    if unknown:
        raise TypeError(f"make_person: not a field a service writes: {sorted(unknown)}")
    data = {"name": name, "id_number": id_number} | extra
    if not id_number:
        data = {"no_id_reason": "历史档案无身份证号", "birth_date": date(1980, 1, 1)} | data
    return person_create(actor=builder(), org_unit=unit, data=data)


def make_member(unit, name: str = "赵郁", *, username: str | None = None, **extra):
    """A person with an active membership of ``unit`` (and a login ``username`` with the
    tests' password, linked to the person, when given)."""
    person = make_person(unit, name=name, **extra)
    Membership.objects.create(person=person, org_unit=unit, joined_on=date(2020, 1, 1))
    if username:
        user = get_user_model().objects.create_user(username, password=PASSWORD)
        person.user = user
        person.save(update_fields=["user"])
    return person


def seed_unit(parent: OrgUnit, level: str, code: str, name: str) -> OrgUnit:
    """A unit laid down as the seed migration lays down the districts: a row, no event. Only
    for the tests that read the audit log from its first event."""
    parent.refresh_from_db()
    n = parent.child_count + 1
    OrgUnit.objects.filter(pk=parent.pk).update(child_count=n)
    add_descendants(parent.path, 1)
    return OrgUnit.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=parent.path + segment(n),
        depth=parent.depth + 1,
    )


# --- The tree and staff most tests start from ---------------------------------------------


@dataclass
class Tree:
    """Two districts with a street and a grassroots union each, from the seeded tree."""

    city: OrgUnit
    chaoyang: OrgUnit
    haidian: OrgUnit
    cy_street: OrgUnit
    cy_grass: OrgUnit
    hd_street: OrgUnit
    hd_grass: OrgUnit


def build_tree(unit=make_unit) -> Tree:
    """The seeded tree with four units more, each made by ``unit``: ``make_unit``, or
    ``seed_unit`` for the tests that count the audit log's events from the first."""
    city = OrgUnit.objects.get(parent__isnull=True)
    chaoyang = OrgUnit.objects.get(code="110105")
    haidian = OrgUnit.objects.get(code="110108")
    cy_street = unit(chaoyang, "street", "CY-S1", "建外街道总工会")
    cy_grass = unit(cy_street, "grassroots", "CY-G1", "朝阳某公司工会")
    hd_street = unit(haidian, "street", "HD-S1", "中关村街道总工会")
    hd_grass = unit(hd_street, "grassroots", "HD-G1", "海淀某公司工会")
    return Tree(city, chaoyang, haidian, cy_street, cy_grass, hd_street, hd_grass)


@dataclass
class Users:
    """Staff at each level, an auditor, and a user with no post."""

    admin: User
    cy: User
    hd: User
    cy_street: User
    cy_grass: User
    auditor: User
    nopost: User


def build_users(tree: Tree) -> Users:
    return Users(
        admin=make_user("admin_t", tree.city, "city_admin"),
        cy=make_user("cy_staff", tree.chaoyang, "district_staff"),
        hd=make_user("hd_staff", tree.haidian, "district_staff"),
        cy_street=make_user("cy_street", tree.cy_street, "street_staff"),
        cy_grass=make_user("cy_grass", tree.cy_grass, "grassroots_staff"),
        auditor=make_user("auditor_t", tree.city, "auditor"),
        nopost=make_user("nopost", None, None),
    )


# --- Partner merchants, signed through the services staff use ------------------------------


def make_merchant(actor, org_unit: OrgUnit, name: str, discount: str, **fields) -> Merchant:
    """A merchant signed by ``actor`` through ``merchant_create``: a car wash whose contract
    runs through 2025 unless ``fields`` say otherwise."""
    fields = {
        "category": "car",
        "valid_from": date(2025, 1, 1),
        "valid_until": date(2025, 12, 31),
    } | fields
    return merchant_create(actor=actor, org_unit=org_unit, name=name, discount=discount, **fields)


def make_location(actor, merchant: Merchant, name: str, address: str) -> Location:
    """A shop of ``merchant`` in the district that signed it, through ``location_add``."""
    return location_add(
        actor=actor, merchant=merchant, name=name, address=address, district=merchant.org_unit
    )


def make_offer(actor, merchant: Merchant, title: str, discount: str, start, end, **fields) -> Offer:
    """An offer of ``merchant`` valid from ``start`` to ``end``, through ``offer_save``."""
    return offer_save(
        actor=actor,
        merchant=merchant,
        title=title,
        discount=discount,
        valid_from=start,
        valid_until=end,
        **fields,
    )


def open_campaign(
    actor,
    honour,
    year: int,
    quotas: dict[OrgUnit, int],
    *,
    nominate_from: date,
    nominate_until: date,
):
    """A campaign set up and opened through the nominations' services: ``quotas`` places
    for each node."""
    from gonghui.nominations import services

    campaign = services.campaign_create(
        actor=actor,
        honour=honour,
        year=year,
        nominate_from=nominate_from,
        nominate_until=nominate_until,
        objection_contact="电话 010-12345678",
    )
    for unit, allowed in quotas.items():
        services.quota_set(actor=actor, campaign=campaign, org_unit=unit, allowed=allowed)
    services.campaign_open(actor=actor, campaign=campaign)
    return campaign
