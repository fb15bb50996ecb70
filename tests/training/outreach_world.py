"""What the outreach tests build on: bureaus of the city, Chaoyang and Haidian with a
speaker each (people holding an honour), a reception day of Chaoyang at a company, and
Chaoyang's alliances of each kind. Made through the services staff use."""

from dataclasses import dataclass
from datetime import date

import pytest
import time_machine

from gonghui.people.models import Person, Unit
from gonghui.registry.models import Studio
from gonghui.registry.services import award_create
from gonghui.training.models import Alliance, Speaker, SpeakerTeam, Visit
from gonghui.training.outreach import services
from tests.factories import make_person


@dataclass
class Outreach:
    city_team: SpeakerTeam
    cy_team: SpeakerTeam
    hd_team: SpeakerTeam
    cy_speaker: Speaker
    hd_speaker: Speaker
    model_worker: Person
    craftsman: Person
    company: Unit
    hd_company: Unit
    visit: Visit
    hd_visit: Visit


def honoured(actor, unit, name, honour, year=2020) -> Person:
    person = make_person(unit, name=name)
    award_create(actor=actor, honour=honour, person=person, year=year)
    return person


def make_outreach(tree, users, honours) -> Outreach:
    admin = users.admin
    model_worker = honoured(admin, tree.cy_grass, "张秉贵", honours["beijing-model-worker"])
    craftsman = honoured(admin, tree.cy_grass, "高凤林", honours["chaoyang-craftsman"], 2022)
    hd_person = honoured(admin, tree.hd_grass, "许振超", honours["beijing-model-worker"])
    city_team = services.team_create(actor=admin, org_unit=tree.city, name="北京市劳模工匠宣讲团")
    cy_team = services.team_create(
        actor=users.cy, org_unit=tree.chaoyang, name="朝阳区劳模工匠宣讲团"
    )
    hd_team = services.team_create(
        actor=users.hd, org_unit=tree.haidian, name="海淀区劳模工匠宣讲团"
    )
    cy_speaker = services.speaker_add(
        actor=users.cy, team=cy_team, person=model_worker, topics="新时代劳模精神"
    )
    hd_speaker = services.speaker_add(
        actor=users.hd, team=hd_team, person=hd_person, topics="码头上的创新"
    )
    company = Unit.objects.create(name="朝阳某公司", org_unit=tree.cy_grass)
    hd_company = Unit.objects.create(name="海淀某公司", org_unit=tree.hd_grass)
    visit = services.visit_create(
        actor=users.cy,
        org_unit=tree.chaoyang,
        enterprise=company,
        on=date(2025, 9, 1),
        participants="区总工会主席、企业工会主席",
    )
    hd_visit = services.visit_create(
        actor=users.hd,
        org_unit=tree.haidian,
        enterprise=hd_company,
        on=date(2025, 9, 1),
        participants="区总工会主席",
    )
    return Outreach(
        city_team,
        cy_team,
        hd_team,
        cy_speaker,
        hd_speaker,
        model_worker,
        craftsman,
        company,
        hd_company,
        visit,
        hd_visit,
    )


def active_studio(tree, employer: Unit, name="高凤林创新工作室") -> Studio:
    return Studio.objects.create(
        name=name, employer=employer, org_unit=tree.cy_grass, status=Studio.Status.ACTIVE
    )


def alliance(users, tree, kind, name=None) -> Alliance:
    return services.alliance_create(
        actor=users.cy,
        org_unit=tree.chaoyang,
        name=name or dict(Alliance.Kind.choices)[kind],
        kind=kind,
        founded_on=date(2021, 12, 1),
    )


@pytest.fixture(autouse=True)
def in_2026():
    """A day of 2026, whose holiday calendar is loaded: a problem raised now is due in ten
    working days, which from mid-December would fall in 2027 (not yet entered). Imported by
    the outreach tests' modules (autouse there)."""
    with time_machine.travel("2026-11-16 10:00 +0800"):
        yield
