"""Dashboards fixtures: awards in both districts, made through the registry's services."""

from dataclasses import dataclass

import pytest

from gonghui.people.services import person_create
from gonghui.registry.models import Award, Category
from gonghui.registry.services import award_create
from tests.registry.conftest import IDS


@dataclass
class Honoured:
    awards: list[Award]


@pytest.fixture
def honoured(tree, users, honours) -> Honoured:
    """Seven awards: Chaoyang's grassroots union (three people, two years, two honours,
    categories), its district node itself (one), Haidian (two), the city node (one)."""
    tech = Category.objects.get(code="tech-innovation")
    others = list(Category.objects.exclude(pk=tech.pk)[:1])
    people = [
        person_create(
            actor=users.admin,
            org_unit=org,
            data={
                "name": name,
                "id_number": number,
                "is_public": public,
                "public_fields": ["name", "portrait"] if public else [],
            },
        )
        for name, number, org, public in [
            ("赵郁", IDS[0], tree.cy_grass, True),
            ("武润泽", IDS[1], tree.cy_grass, False),
            ("单田芳", IDS[2], tree.chaoyang, True),
            ("曾志伟", IDS[3], tree.hd_grass, True),
            ("钱学", IDS[4], tree.city, True),
        ]
    ]
    model, craftsman = honours["beijing-model-worker"], honours["national-model-worker"]
    made = [
        award_create(
            actor=users.admin, honour=model, person=people[0], year=2015, categories=[tech]
        ),
        award_create(actor=users.admin, honour=craftsman, person=people[0], year=2020),
        award_create(
            actor=users.admin, honour=model, person=people[1], year=2020, categories=[tech, *others]
        ),
        award_create(actor=users.admin, honour=model, person=people[2], year=2020),
        award_create(
            actor=users.admin, honour=model, person=people[3], year=2015, categories=[tech]
        ),
        award_create(actor=users.admin, honour=craftsman, person=people[3], year=2020),
        award_create(actor=users.admin, honour=model, person=people[4], year=2010),
    ]
    return Honoured(awards=made)
