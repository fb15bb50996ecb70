"""A collective's awards and their certificates follow the collective to another union."""

import json

import pytest

from gonghui.audit import selectors as audit
from gonghui.audit.models import AuditEvent
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_download
from gonghui.orgs import services as orgs
from gonghui.people.models import Unit
from gonghui.registry import selectors, services
from gonghui.registry.models import Award
from tests.factories import make_user
from tests.registry.test_awards import certify


@pytest.fixture
def pioneers(registry, users, honours, tree, settings, tmp_path):
    """A Chaoyang team (under the metro company) holding 北京市工人先锋号, with its
    certificate filed in Chaoyang."""
    settings.MEDIA_ROOT = tmp_path
    team = services.unit_create(
        actor=users.cy, org_unit=tree.cy_grass, name="运营一班", kind="team", parent=registry.unit
    )
    award = services.award_create(
        actor=users.admin, honour=honours["beijing-pioneer-team"], unit=team, year=2019
    )
    return team, award, certify(users.cy, award, tree.cy_grass)


def test_a_collective_moved_to_another_district_takes_its_awards(
    client, registry, users, tree, pioneers
):
    team, award, certificate = pioneers
    services.unit_move(actor=users.admin, unit=registry.unit, org_unit=tree.hd_grass)
    team.refresh_from_db()
    award.refresh_from_db()
    # The team goes with its company; the award and its certificate with the team.
    assert team.org_unit == tree.hd_grass and award.org_unit == tree.hd_grass
    assert selectors.award_list(actor=users.hd).filter(pk=award.pk).exists()
    assert not selectors.award_list(actor=users.cy).filter(pk=award.pk).exists()
    assert attachment_download(actor=users.hd, pk=certificate.pk) == certificate
    with pytest.raises(NotFound):
        attachment_download(actor=users.cy, pk=certificate.pk)
    # Both unions' auditors see the move, each at their end.
    cy_auditor = make_user("cy_auditor", tree.chaoyang, "auditor")
    hd_auditor = make_user("hd_auditor", tree.haidian, "auditor")
    assert audit.event_list(actor=cy_auditor, action="registry.unit_move_out").exists()
    assert audit.event_list(actor=hd_auditor, action="registry.unit_move").exists()
    event = AuditEvent.objects.get(action="registry.unit_move")
    assert json.loads(event.body)["changes"]["awards"] == [None, 1]


def test_a_unit_move_needs_both_ends_and_every_team_in_scope(registry, users, tree, pioneers):
    team, award, _ = pioneers
    with pytest.raises(Forbidden):  # Chaoyang cannot push its unit into Haidian
        services.unit_move(actor=users.cy, unit=registry.unit, org_unit=tree.hd_grass)
    with pytest.raises(NotFound):  # nor Haidian pull it
        services.unit_move(actor=users.hd, unit=registry.unit, org_unit=tree.hd_grass)
    with pytest.raises(ValidationFailed) as err:
        services.unit_move(actor=users.cy, unit=registry.unit, org_unit=tree.cy_grass)
    assert "已属于" in err.value.fields["org_unit"]
    # The company's team filed at the district: street staff, who may move the company
    # within their street, cannot take the team along.
    Unit.objects.filter(pk=team.pk).update(org_unit=tree.chaoyang)
    with pytest.raises(Forbidden) as err:
        services.unit_move(actor=users.cy_street, unit=registry.unit, org_unit=tree.cy_street)
    assert "1 个下属班组或部门" in err.value.message
    award.refresh_from_db()
    assert award.org_unit == tree.cy_grass
    assert Unit.objects.get(pk=registry.unit.pk).org_unit == tree.cy_grass


def test_the_move_through_the_api(client, registry, users, tree, pioneers):
    from tests.factories import PASSWORD

    team, award, _ = pioneers
    client.login(username=users.cy.username, password=PASSWORD)
    url = f"/api/v1/registry/units/{team.pk}/move"
    answer = client.post(url, {"org_unit_id": tree.hd_grass.pk}, content_type="application/json")
    assert answer.status_code == 422 and "org_unit_id" in answer.content.decode()
    answer = client.post(url, {"org_unit_id": tree.cy_street.pk}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["org_unit_id"] == tree.cy_street.pk
    award.refresh_from_db()
    assert award.org_unit == tree.cy_street


def test_a_collective_whose_union_moves_keeps_its_awards_in_view(registry, users, tree, pioneers):
    """The union node itself moves (orgs.orgunit_move): the awards filed at it go along."""
    _, award, certificate = pioneers
    orgs.orgunit_move(actor=users.admin, unit=tree.cy_grass, new_parent=tree.hd_street)
    assert selectors.award_list(actor=users.hd).filter(pk=award.pk).exists()
    assert not selectors.award_list(actor=users.cy).filter(pk=award.pk).exists()
    assert attachment_download(actor=users.hd, pk=certificate.pk) == certificate
    assert Award.objects.get(pk=award.pk).org_unit == tree.cy_grass  # the node, now in Haidian
