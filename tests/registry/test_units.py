"""A collective's awards and their certificates follow the collective to another union."""

import json

import pytest

from gonghui.audit.models import AuditEvent
from gonghui.audit.selectors import event_list
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.files.services import attachment_download
from gonghui.orgs.services import orgunit_move
from gonghui.people.models import Unit
from gonghui.registry import selectors, services
from gonghui.registry.models import Award
from tests.factories import PASSWORD, make_user
from tests.registry.test_awards import certify


@pytest.fixture
def pioneers(registry, users, honours, tree, settings, tmp_path):
    """A Chaoyang team (under the metro company) holding 北京市工人先锋号, with its
    certificate filed in Chaoyang."""
    settings.MEDIA_ROOT = tmp_path
    team = services.unit_create(
        actor=users.cy,
        org_unit=tree.cy_grass,
        name="运营一班",
        kind="team",
        parent=registry.employer,
    )
    award = services.award_create(
        actor=users.admin, honour=honours["beijing-pioneer-team"], unit=team, year=2019
    )
    return team, award, certify(users.cy, award, tree.cy_grass)


def test_a_collective_moved_to_another_district_takes_its_awards(
    client, registry, users, tree, pioneers
):
    team, award, certificate = pioneers
    services.unit_move(actor=users.admin, employer=registry.employer, org_unit=tree.hd_grass)
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
    assert event_list(actor=cy_auditor, action="registry.unit_move_out").exists()
    assert event_list(actor=hd_auditor, action="registry.unit_move").exists()
    event = AuditEvent.objects.get(action="registry.unit_move")
    assert json.loads(event.body)["changes"]["awards"] == [None, 1]


def test_a_unit_move_needs_both_ends_and_every_team_in_scope(registry, users, tree, pioneers):
    team, award, _ = pioneers
    with pytest.raises(Forbidden):  # Chaoyang cannot push its unit into Haidian
        services.unit_move(actor=users.cy, employer=registry.employer, org_unit=tree.hd_grass)
    with pytest.raises(NotFound):  # nor Haidian pull it
        services.unit_move(actor=users.hd, employer=registry.employer, org_unit=tree.hd_grass)
    with pytest.raises(ValidationFailed) as err:
        services.unit_move(actor=users.cy, employer=registry.employer, org_unit=tree.cy_grass)
    assert "已属于" in err.value.fields["org_unit"]
    # The company's team filed at the district: street staff, who may move the company
    # within their street, cannot take the team along.
    Unit.objects.filter(pk=team.pk).update(org_unit=tree.chaoyang)
    with pytest.raises(Forbidden) as err:
        services.unit_move(
            actor=users.cy_street, employer=registry.employer, org_unit=tree.cy_street
        )
    # Nothing said of a unit outside the actor's scope: not that it exists, nor how many.
    assert err.value.message == "该单位不能由您移动，请联系上级工会办理"
    award.refresh_from_db()
    assert award.org_unit == tree.cy_grass
    assert Unit.objects.get(pk=registry.employer.pk).org_unit == tree.cy_grass


def test_the_move_through_the_api(client, registry, users, tree, pioneers):
    team, award, _ = pioneers
    client.login(username=users.cy.username, password=PASSWORD)
    url = f"/api/v1/registry/units/{team.pk}/move"
    answer = client.post(url, {"org_unit_id": tree.hd_grass.pk}, content_type="application/json")
    assert answer.status_code == 422 and "org_unit_id" in answer.content.decode()
    answer = client.post(url, {"org_unit_id": tree.cy_street.pk}, content_type="application/json")
    assert answer.status_code == 422 and "北京地铁运营公司" in answer.json()["fields"]["org_unit"]
    answer = client.post(
        url, {"org_unit_id": tree.cy_street.pk, "detach": True}, content_type="application/json"
    )
    assert answer.status_code == 200 and answer.json()["org_unit_id"] == tree.cy_street.pk
    assert Unit.objects.get(pk=team.pk).parent is None
    award.refresh_from_db()
    assert award.org_unit == tree.cy_street


def test_a_collective_whose_union_moves_keeps_its_awards_in_view(registry, users, tree, pioneers):
    """The union node itself moves (orgs.services.orgunit_move): the awards filed at it go along."""
    _, award, certificate = pioneers
    orgunit_move(actor=users.admin, unit=tree.cy_grass, new_parent=tree.hd_street)
    assert selectors.award_list(actor=users.hd).filter(pk=award.pk).exists()
    assert not selectors.award_list(actor=users.cy).filter(pk=award.pk).exists()
    assert attachment_download(actor=users.hd, pk=certificate.pk) == certificate
    assert Award.objects.get(pk=award.pk).org_unit == tree.cy_grass  # the node, now in Haidian


def test_a_team_goes_where_its_company_goes_unless_detached(registry, users, tree, pioneers):
    """A team moved alone to another district left its company behind: Chaoyang could no
    longer move its own company, and moving it dragged the team back unseen by Haidian."""
    team, award, _ = pioneers
    for actor, target in ((users.admin, tree.hd_grass), (users.cy, tree.cy_street)):
        with pytest.raises(ValidationFailed) as err:
            services.unit_move(actor=actor, employer=team, org_unit=target)
        assert "隶属于“北京地铁运营公司”，须随其一并移动" in err.value.fields["org_unit"]
    assert Unit.objects.get(pk=team.pk).org_unit == tree.cy_grass
    # Chaoyang still moves its company, the team with it.
    services.unit_move(actor=users.cy, employer=registry.employer, org_unit=tree.cy_street)
    assert Unit.objects.get(pk=team.pk).org_unit == tree.cy_street
    # Detached, the team moves alone (and is a unit of its own from then on).
    services.unit_move(actor=users.admin, employer=team, org_unit=tree.hd_grass, detach=True)
    team.refresh_from_db()
    award.refresh_from_db()
    assert (team.org_unit, team.parent, award.org_unit) == (tree.hd_grass, None, tree.hd_grass)
    assert Unit.objects.get(pk=registry.employer.pk).org_unit == tree.cy_street
    event = AuditEvent.objects.filter(action="registry.unit_move").latest("id")
    assert json.loads(event.body)["changes"]["parent"] == [registry.employer.pk, None]


def test_a_team_is_registered_where_its_company_is(registry, users, tree):
    with pytest.raises(ValidationFailed) as err:
        services.unit_create(
            actor=users.admin,
            org_unit=tree.hd_grass,
            name="一班",
            kind="team",
            parent=registry.employer,
        )
    assert err.value.fields == {"parent": "班组、部门须与上级单位登记在同一工会"}
    assert not Unit.objects.filter(name="一班").exists()


def test_a_group_split_before_is_moved_with_an_event_at_every_union_it_leaves(
    registry, users, tree, pioneers
):
    """A team left in Haidian by a move made before teams followed their company: Chaoyang
    is refused without learning of it; the city moves the company, and Haidian's auditors
    see their team leave (the event was filed in Chaoyang only)."""
    team, award, _ = pioneers
    Unit.objects.filter(pk=team.pk).update(org_unit=tree.hd_grass)
    Award.objects.filter(pk=award.pk).update(org_unit=tree.hd_grass)
    with pytest.raises(Forbidden) as err:
        services.unit_move(actor=users.cy, employer=registry.employer, org_unit=tree.cy_street)
    assert err.value.message == "该单位不能由您移动，请联系上级工会办理"
    services.unit_move(actor=users.admin, employer=registry.employer, org_unit=tree.cy_street)
    assert Unit.objects.get(pk=team.pk).org_unit == tree.cy_street
    cy_auditor = make_user("cy_auditor", tree.chaoyang, "auditor")
    hd_auditor = make_user("hd_auditor", tree.haidian, "auditor")
    (theirs,) = event_list(actor=hd_auditor, action="registry.unit_move_out")
    assert theirs.object_id == str(team.pk)
    changes = json.loads(theirs.body)["changes"]
    assert changes == {
        "org_unit": [tree.hd_grass.pk, tree.cy_street.pk],
        "units": [None, 1],
        "awards": [None, 1],
    }
    (ours,) = event_list(actor=cy_auditor, action="registry.unit_move_out")
    assert ours.object_id == str(registry.employer.pk)
    assert json.loads(ours.body)["changes"]["awards"] == [None, 0]


def test_a_team_left_at_the_union_reached_records_no_leaving(registry, users, tree, pioneers):
    team, _, _ = pioneers
    Unit.objects.filter(pk=team.pk).update(org_unit=tree.cy_street)  # as moves once let
    services.unit_move(actor=users.cy, employer=registry.employer, org_unit=tree.cy_street)
    (out,) = AuditEvent.objects.filter(action="registry.unit_move_out")
    assert (out.object_id, out.org_unit_id) == (str(registry.employer.pk), tree.cy_grass.pk)
