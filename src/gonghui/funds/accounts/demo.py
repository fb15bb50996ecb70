"""The accounts part of the funds demo (see funds/demo.py): payee accounts, through the
services (each registration audited), for everyone with an entitlement, every model worker
with a hardship record and every member with a login: mostly Ⅰ类 union cards, some bank
cards and passbooks as second accounts, a few Ⅱ类 and Ⅲ类 cards. Two accounts are the
seed's: the elder's Ⅱ类 union card (default, over its 10,000元 day for her 12,000元) with
her passbook, and the dormant model worker's union card locked for disuse with his
passbook. Deterministic from ``rng``. Leaves ``world.accounts``: the seed's four accounts
by name and ``made``, the number registered."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from stdnum.luhn import calc_check_digit

from gonghui.common import workdays
from gonghui.funds.accounts.services import account_add, account_update
from gonghui.funds.models import Entitlement, Hardship, PayeeAccount
from gonghui.people.models import Person

# Beijing's union card (京卡·互助服务卡) is a debit card of 北京农商银行; other cards and
# passbooks from the banks members use most.
UNION_CARD = ("北京农商银行（京卡·互助服务卡）", "621736")
BANKS = [
    ("中国工商银行北京分行", "622202"),
    ("中国建设银行北京分行", "621700"),
    ("中国农业银行北京分行", "622848"),
    ("中国银行北京分行", "621661"),
    ("交通银行北京分行", "622262"),
    ("北京银行", "621468"),
    ("中国邮政储蓄银行北京分行", "621799"),
    ("招商银行北京分行", "621483"),
]
PASSBOOK_BANKS = [("北京农商银行", "621067"), ("中国邮政储蓄银行北京分行", "621098")]


def _number(rng, prefix: str) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(18 - len(prefix)))
    return body + calc_check_digit(body)


def _actor(world):
    staff = getattr(world, "staff", None) or {}
    return staff.get("admin") or get_user_model().objects.filter(username="admin").first()


def _payees(world) -> list[Person]:
    ids = set(Entitlement.objects.values_list("person_id", flat=True))
    ids |= set(Hardship.objects.values_list("person_id", flat=True))
    ids |= set(Person.objects.filter(user__isnull=False).values_list("pk", flat=True))
    for name in ("elder", "dormant"):
        person = getattr(world, name, None)
        if person is not None:
            ids.add(person.pk)
    ids -= set(PayeeAccount.objects.values_list("person_id", flat=True).distinct())
    return list(Person.objects.filter(pk__in=ids).select_related("org_unit").order_by("pk"))


def build(world, fake, rng) -> None:
    """Payee accounts for the demo's payees (see the module's docstring)."""
    actor = _actor(world)
    accounts = {"made": 0}
    world.accounts = accounts
    if actor is None:
        return
    today = workdays.today()
    elder, dormant = getattr(world, "elder", None), getattr(world, "dormant", None)

    def add(person, kind, bank, prefix, cls="I", **more):
        more.setdefault("last_activity", today - timedelta(days=rng.randrange(3, 150)))
        account = account_add(
            actor=actor,
            person=person,
            kind=kind,
            account_class="" if kind == "passbook" else cls,
            bank=bank,
            number=_number(rng, prefix),
            **more,
        )
        accounts["made"] += 1
        return account

    for person in _payees(world):
        if elder is not None and person.pk == elder.pk:
            accounts["elder_card"] = add(person, "union_card", *UNION_CARD, cls="II")
            accounts["elder_passbook"] = add(person, "passbook", *PASSBOOK_BANKS[0])
            continue
        if dormant is not None and person.pk == dormant.pk:
            card = add(
                person,
                "union_card",
                *UNION_CARD,
                last_activity=today - timedelta(days=400 + rng.randrange(300)),
            )
            accounts["dormant_card"] = account_update(
                actor=actor,
                account=card,
                status="dormant",
                status_reported_at=today - timedelta(days=rng.randrange(10, 40)),
            )
            accounts["dormant_passbook"] = add(person, "passbook", *PASSBOOK_BANKS[1])
            continue
        roll = rng.random()
        if roll < 0.80:
            add(person, "union_card", *UNION_CARD)
        elif roll < 0.88:
            add(person, "bank_card", *rng.choice(BANKS))
        elif roll < 0.94:
            add(person, "union_card", *UNION_CARD, cls="III", balance=rng.randrange(0, 150) * 1000)
        else:
            add(person, "union_card", *UNION_CARD, cls="II")
        if rng.random() < 0.3:  # a second account to fall back on
            if rng.random() < 0.5:
                add(person, "passbook", *rng.choice(PASSBOOK_BANKS))
            else:
                add(person, "bank_card", *rng.choice(BANKS))
    world.say(f"收款账户：{accounts['made']} 个")
