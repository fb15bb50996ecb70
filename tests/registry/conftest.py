from dataclasses import dataclass

import pytest

from gonghui.people.models import Person, Unit
from gonghui.people.services import person_create
from gonghui.registry import services

IDS = [
    "11010519491231002X",
    "110101199003070038",
    "110108198001010015",
    "110105200001010016",
    "110102197506150029",
]


@dataclass
class Registry:
    """An employer and the people of the registry tests, by name."""

    employer: Unit
    people: dict[str, Person]


@pytest.fixture
def registry(tree, users, honours) -> Registry:
    """An employer and people in Chaoyang, one in Haidian, made through the services."""
    employer = services.unit_create(
        actor=users.cy,
        org_unit=tree.cy_grass,
        name="北京地铁运营公司",
        credit_code="91110000600037341L",
    )
    people = {
        name: person_create(
            actor=users.admin,
            org_unit=org,
            data={
                "name": name,
                "id_number": id_number,
                "employer": employer if org == tree.cy_grass else None,
                "is_public": public,
                "public_fields": fields,
            },
        )
        for name, id_number, org, public, fields in [
            ("赵郁", IDS[0], tree.cy_grass, True, ["name", "gender"]),
            ("武润泽", IDS[1], tree.cy_grass, True, ["name", "employer"]),
            ("单田芳", IDS[2], tree.cy_grass, False, []),
            ("曾志伟", IDS[3], tree.cy_grass, True, ["name"]),
            ("钱学", IDS[4], tree.hd_grass, True, ["name"]),
        ]
    }
    return Registry(employer=employer, people=people)
