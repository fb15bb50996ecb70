"""Reading-salon fixtures' builders: members by the dozen, each with a valid resident ID
number (GB 11643) so a list of numbers can name them."""

from datetime import date

from gonghui.common.pii import id_check_digit
from gonghui.training.salons.services import salon_apply
from tests.factories import make_member

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"


def id_number(region: str, n: int) -> str:
    body = f"{region}1985{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + id_check_digit(body)


def crowd(unit, n: int, *, start: int = 0, region: str = "110105") -> list:
    """``n`` members of ``unit`` with ID numbers (distinct per ``start``)."""
    return [
        make_member(
            unit,
            f"{SURNAMES[(start + i) % len(SURNAMES)]}读{start + i}",
            id_number=id_number(region, start + i),
        )
        for i in range(n)
    ]


def applied(actor, unit, people, mentor, **extra):
    """A salon filed by ``actor`` for ``unit`` with ``people`` as members."""
    fields = {
        "name": "书香朝阳读书会",
        "year": date.today().year,
        "theme": "工匠精神",
        "requested": "5,000",
    } | extra
    return salon_apply(
        actor=actor, org_unit=unit, mentor=mentor, members=[p.pk for p in people], **fields
    )
