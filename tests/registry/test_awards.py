from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_add, attachment_download
from gonghui.people.models import Membership, Person
from gonghui.people.services import person_update
from gonghui.registry import selectors, services
from gonghui.registry.models import Award, Category
from gonghui.registry.selectors import PersonFilters


def test_catalogue_is_seeded(honours):
    assert {"全国劳动模范", "北京市工人先锋号", "北京大工匠提名奖", "亦城工匠"} <= {
        h.name for h in honours.values()
    }
    assert honours["national-pioneer-team"].subject == "collective"
    assert honours["chaoyang-craftsman"].conferring_unit.code == "110105"
    assert "北京市劳动模范" in {
        h.name for h in honours["national-model-worker"].prerequisites.all()
    }


def test_awards_follow_the_catalogue_rules(registry, users, honours):
    zhao = registry.people["赵郁"]
    award = services.award_create(
        actor=users.admin,
        honour=honours["beijing-model-worker"],
        person=zhao,
        year=2015,
        batch="第13批",
        categories=[Category.objects.get(code="tech-innovation")],
        deeds="三十年扎根一线，带出徒弟百余名。",
    )
    assert award.org_unit == zhao.org_unit
    cases = [
        (
            dict(honour=honours["beijing-pioneer-team"], person=zhao, year=2015),
            "holder",
            "授予集体",
        ),
        (
            dict(honour=honours["capital-labour-award"], unit=None, person=None, year=2015),
            "holder",
            "须为",
        ),
        (dict(honour=honours["beijing-master-craftsman"], person=zhao, year=2016), "year", "2018"),
        (dict(honour=honours["beijing-model-worker"], person=zhao, year=2015), "year", "重复授予"),
        (
            dict(
                honour=honours["national-model-worker"], person=registry.people["武润泽"], year=2020
            ),
            "honour",
            "须先获得",
        ),
    ]
    for kwargs, field, words in cases:
        with pytest.raises(ValidationFailed) as err:
            services.award_create(actor=users.admin, **kwargs)
        assert words in err.value.fields[field], (kwargs, err.value.fields)
    # With the city honour in hand, the national one may follow.
    services.award_create(
        actor=users.admin, honour=honours["national-model-worker"], person=zhao, year=2020
    )
    collective = services.award_create(
        actor=users.admin, honour=honours["beijing-pioneer-team"], unit=registry.employer, year=2019
    )
    assert collective.holder == registry.employer
    assert Award.objects.count() == 3
    assert AuditEvent.objects.filter(action="registry.award_create").count() == 3


def test_only_the_conferring_level_may_award(registry, users, honours):
    zhao = registry.people["赵郁"]
    with pytest.raises((NotFound, Forbidden)):  # a district cannot give a city honour
        services.award_create(
            actor=users.cy, honour=honours["beijing-model-worker"], person=zhao, year=2015
        )
    services.award_create(
        actor=users.cy, honour=honours["chaoyang-craftsman"], person=zhao, year=2020
    )
    with pytest.raises(NotFound):  # Haidian's staff cannot give Chaoyang's title
        services.award_create(
            actor=users.hd,
            honour=honours["chaoyang-craftsman"],
            person=registry.people["钱学"],
            year=2020,
        )
    with pytest.raises(NotFound):  # nor Chaoyang's staff to a Haidian person
        services.award_create(
            actor=users.cy,
            honour=honours["chaoyang-craftsman"],
            person=registry.people["钱学"],
            year=2021,
        )


def test_revoke_keeps_the_record_with_its_reason(registry, users, honours):
    award = services.award_create(
        actor=users.admin,
        honour=honours["capital-labour-medal"],
        person=registry.people["赵郁"],
        year=2010,
    )
    with pytest.raises(ValidationFailed):
        services.award_revoke(actor=users.admin, award=award, reason="  ")
    with pytest.raises((NotFound, Forbidden)):
        services.award_revoke(actor=users.cy, award=award, reason="越级")
    services.award_revoke(actor=users.admin, award=award, reason="经查实存在弄虚作假")
    award.refresh_from_db()
    assert award.status == "revoked" and award.revoked_on is not None
    with pytest.raises(Conflict):
        services.award_revoke(actor=users.admin, award=award, reason="again")


def test_units_validate_credit_codes(tree, users):
    with pytest.raises(ValidationFailed) as err:
        services.unit_create(
            actor=users.cy, org_unit=tree.cy_grass, name="某厂", credit_code="91110000600037341X"
        )
    assert "校验位" in err.value.fields["credit_code"]
    with pytest.raises(ValidationFailed):
        services.unit_create(actor=users.cy, org_unit=tree.cy_grass, name="", credit_code="123")
    services.unit_create(
        actor=users.cy, org_unit=tree.cy_grass, name="某厂", credit_code="91110000600037341l"
    )
    with pytest.raises(Conflict):
        services.unit_create(
            actor=users.cy, org_unit=tree.cy_grass, name="另一厂", credit_code="91110000600037341L"
        )
    with pytest.raises(NotFound):
        services.unit_create(actor=users.cy, org_unit=tree.hd_grass, name="越权")


def twin_of(registry, tree) -> Person:
    """A second record of 赵郁 (an old one without an ID number): same name, birth date
    and employer."""
    zhao = registry.people["赵郁"]
    return Person.objects.create(
        name="赵郁",
        birth_date=zhao.birth_date,
        employer=registry.employer,
        org_unit=tree.cy_grass,
        no_id_reason="旧档案",
    )


def test_duplicates_are_found(registry, users, tree):
    twin = twin_of(registry, tree)
    zhao = registry.people["赵郁"]
    assert selectors.look_alikes(actor=users.cy, person=twin)[0] == [zhao]


def test_duplicates_are_merged_reversibly(registry, users, honours, tree):
    zhao, twin = registry.people["赵郁"], twin_of(registry, tree)
    Membership.objects.create(person=twin, org_unit=tree.cy_grass, joined_on=date(2001, 1, 1))
    services.award_create(
        actor=users.admin, honour=honours["capital-labour-medal"], person=twin, year=2001
    )
    merge = services.person_merge(actor=users.cy, survivor=zhao, loser=twin)
    assert Award.objects.get(honour__code="capital-labour-medal").person == zhao
    twin.refresh_from_db()
    assert twin.merged_into == zhao
    assert list(selectors.person_search(actor=users.cy, filters=PersonFilters(query="赵郁"))) == [
        zhao
    ]
    with pytest.raises(Forbidden):
        services.merge_reverse(actor=users.cy, merge=merge)
    services.merge_reverse(actor=users.admin, merge=merge)
    assert Award.objects.get(honour__code="capital-labour-medal").person == twin
    assert twin.memberships.count() == 1
    assert set(selectors.person_search(actor=users.cy, filters=PersonFilters(query="赵郁"))) == {
        zhao,
        twin,
    }


def test_district_titles_stay_in_their_district(registry, users, honours):
    with pytest.raises(ValidationFailed) as err:
        services.award_create(
            actor=users.admin,
            honour=honours["chaoyang-craftsman"],
            person=registry.people["钱学"],
            year=2020,
        )
    assert "只能授予本区" in err.value.fields["holder"]


def test_awards_follow_their_holder_when_the_person_moves(
    registry, users, honours, tree, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    zhao = registry.people["赵郁"]
    services.award_create(
        actor=users.admin, honour=honours["capital-labour-medal"], person=zhao, year=2018
    )
    certificate = certify(users.cy, Award.objects.get(person=zhao), tree.cy_grass)
    assert selectors.award_list(actor=users.cy).filter(person=zhao).exists()
    person_update(actor=users.admin, person=zhao, data={}, org_unit=tree.hd_grass)
    assert not selectors.award_list(actor=users.cy).filter(person=zhao).exists()
    assert selectors.award_list(actor=users.hd).filter(person=zhao).exists()
    # The certificate goes along: Haidian reads it now, Chaoyang no longer.
    assert Award.objects.get(person=zhao).org_unit == tree.hd_grass
    assert attachment_download(actor=users.hd, pk=certificate.pk) == certificate
    with pytest.raises(NotFound):
        attachment_download(actor=users.cy, pk=certificate.pk)


def certify(actor, award, org_unit):
    pdf = SimpleUploadedFile("证书.pdf", b"%PDF-1.4 certificate", "application/pdf")
    return attachment_add(actor=actor, owner=award, org_unit=org_unit, upload=pdf)


def test_a_merge_files_the_awards_and_certificates_with_the_surviving_record(
    registry, users, honours, tree, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    zhao, qian = registry.people["赵郁"], registry.people["钱学"]  # Chaoyang, Haidian
    award = services.award_create(
        actor=users.admin, honour=honours["capital-labour-medal"], person=qian, year=2001
    )
    certificate = certify(users.hd, award, tree.hd_grass)
    merge = services.person_merge(actor=users.admin, survivor=zhao, loser=qian)
    award.refresh_from_db()
    assert (award.person, award.org_unit) == (zhao, tree.cy_grass)
    assert attachment_download(actor=users.cy, pk=certificate.pk) == certificate
    with pytest.raises(NotFound):
        attachment_download(actor=users.hd, pk=certificate.pk)
    services.merge_reverse(actor=users.admin, merge=merge)
    award.refresh_from_db()
    assert (award.person, award.org_unit) == (qian, tree.hd_grass)
    assert attachment_download(actor=users.hd, pk=certificate.pk) == certificate
