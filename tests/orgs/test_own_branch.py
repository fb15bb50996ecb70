"""A post cannot switch off or move the unit it is anchored at, nor a unit above it: that
would cut the branch it stands on (chaoyang once switched off its own district)."""

import json

import pytest
from django.contrib.auth import get_user_model

from gonghui.audit.models import AuditEvent
from gonghui.common.errors import ValidationFailed
from gonghui.orgs import access, services
from gonghui.orgs.models import OrgUnit, Post, Role
from tests.factories import make_unit

pytestmark = pytest.mark.django_db


def unit_writes() -> int:
    return AuditEvent.objects.filter(action__in=["orgs.update", "orgs.move"]).count()


def test_the_api_refuses_to_switch_off_the_posts_own_unit(client, tree, users):
    client.force_login(users.cy)
    response = client.patch(
        f"/api/v1/orgs/{tree.chaoyang.pk}",
        json.dumps({"name": tree.chaoyang.name, "is_active": False}),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert "不能停用您本人岗位所在的组织" in response.json()["fields"]["is_active"]
    tree.chaoyang.refresh_from_db()
    assert tree.chaoyang.is_active and unit_writes() == 0
    access.forget(users.cy)
    assert access.can_at(users.cy, "orgs.change", tree.chaoyang)  # the post still holds


def test_below_its_own_unit_a_post_may_switch_units_off_and_on(tree, users):
    # The street's own staff may not switch it off; the district above may (and back on).
    with pytest.raises(ValidationFailed):
        services.orgunit_update(
            actor=users.cy_street, unit=tree.cy_street, name="建外", is_active=False
        )
    services.orgunit_update(actor=users.cy, unit=tree.cy_street, name="建外", is_active=False)
    assert not OrgUnit.objects.get(pk=tree.cy_street.pk).is_active
    services.orgunit_update(actor=users.cy, unit=tree.cy_street, name="建外", is_active=True)
    # Renaming one's own unit is fine.
    services.orgunit_update(actor=users.cy, unit=tree.chaoyang, name="朝阳区总工会（新）")
    assert OrgUnit.objects.get(pk=tree.chaoyang.pk).name == "朝阳区总工会（新）"


@pytest.fixture
def two_posts(tree):
    """District staff in Chaoyang who also holds a post at a grassroots union there."""
    user = get_user_model().objects.create_user(username="two_posts", password="x")
    Post.objects.create(
        user=user, org_unit=tree.chaoyang, role=Role.objects.get(code="district_staff")
    )
    Post.objects.create(
        user=user, org_unit=tree.cy_grass, role=Role.objects.get(code="grassroots_staff")
    )
    return user


def test_nor_a_unit_above_another_of_its_posts(tree, two_posts):
    with pytest.raises(ValidationFailed) as err:
        services.orgunit_update(
            actor=two_posts, unit=tree.cy_street, name=tree.cy_street.name, is_active=False
        )
    assert "上级组织" in err.value.fields["is_active"]
    other = make_unit(tree.chaoyang, "street", "CY-S9", "另一街道总工会")
    with pytest.raises(ValidationFailed) as err:
        services.orgunit_move(actor=two_posts, unit=tree.cy_street, new_parent=tree.chaoyang)
    assert "不能移动您本人岗位所在的组织" in err.value.fields["parent"]
    with pytest.raises(ValidationFailed):
        services.orgunit_move(actor=two_posts, unit=tree.cy_grass, new_parent=other)
    tree.cy_grass.refresh_from_db()
    assert tree.cy_grass.parent_id == tree.cy_street.pk and unit_writes() == 0


def test_the_edit_page_says_why_next_to_the_field(client, tree, users):
    client.force_login(users.cy)
    response = client.post(f"/orgs/{tree.chaoyang.pk}/edit/", {"name": "朝阳区总工会"})

    assert response.status_code == 200
    assert "不能停用您本人岗位所在的组织或其上级组织" in response.content.decode()
    tree.chaoyang.refresh_from_db()
    assert tree.chaoyang.is_active and unit_writes() == 0
