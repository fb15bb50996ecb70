"""A campaign's stages follow its honour's level: a district's own title is noticed and
reviewed a second time by the district (区级公示 → 复审), a city honour by the city."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from gonghui.nominations import services
from gonghui.nominations.models import Campaign
from gonghui.nominations.workflow import procedure
from gonghui.registry.models import Award
from tests.factories import PASSWORD, make_person, make_user
from tests.nominations.conftest import MATERIALS, at


@pytest.fixture
def district_campaign(clock, tree, users, honours):
    """2025 朝阳工匠, organised by Chaoyang: its street has 2 places."""
    campaign = services.campaign_create(
        actor=users.cy,
        honour=honours["chaoyang-craftsman"],
        year=2025,
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
    )
    services.quota_set(actor=users.cy, campaign=campaign, org_unit=tree.cy_street, allowed=2)
    services.campaign_open(actor=users.cy, campaign=campaign)
    return campaign


def put_forward(users, tree, campaign, name):
    return services.nomination_save(
        actor=users.cy_grass,
        campaign=campaign,
        person_id=make_person(tree.cy_grass, name, is_front_line=True).pk,
        document=SimpleUploadedFile("推荐表.pdf", b"%PDF-1.4\n%test\n"),
        submit=True,
        **MATERIALS,
    )


def test_the_procedure_is_named_after_the_honours_level():
    assert "市级公示" in procedure("city") and "市级公示" in procedure("national")
    district = procedure("district")
    assert "区级公示" in district and "市级公示" not in district
    assert district.index("区级公示") + 1 == district.index("复审")


def test_a_district_campaign_lists_district_stages(client, district_campaign, users, tree):
    nomination = put_forward(users, tree, district_campaign, "赵郁")
    client.login(username=users.cy.username, password=PASSWORD)
    page = client.get(f"/nominations/{district_campaign.pk}/").content.decode()
    assert "区级公示 → 复审" in page and "市级" not in page
    page = client.get(f"/nominations/n/{nomination.pk}/").content.decode()
    assert "市级" not in page


def test_a_city_campaign_keeps_city_stages(client, campaign, users):
    client.login(username=users.admin.username, password=PASSWORD)
    page = client.get(f"/nominations/{campaign.pk}/").content.decode()
    assert "市级公示 → 复审" in page and "区级公示" not in page


def test_the_district_runs_its_own_titles_second_stage(
    clock, client, district_campaign, users, tree
):
    """From the first notice to the award, every step by the district's own posts."""
    zhao = put_forward(users, tree, district_campaign, "赵郁")
    services.notice_publish(
        actor=users.cy_grass, campaign=district_campaign, stage="first", nominations=[zhao]
    )
    clock.move_to(at(2025, 9, 27, 0, 0))
    services.nominations_advance(actor=users.cy, nominations=[zhao], action="first_pass")
    services.node_list_submit(actor=users.cy, campaign=district_campaign, org_unit=tree.cy_street)
    # The district's stages are offered to the district's staff, named as the district's.
    client.login(username=users.cy.username, password=PASSWORD)
    page = client.get(f"/nominations/{district_campaign.pk}/").content.decode()
    assert '<option value="second">区级公示</option>' in page
    second = services.notice_publish(
        actor=users.cy, campaign=district_campaign, stage="second", nominations=[zhao]
    )
    assert second.title == "2025年朝阳工匠评选区级公示"
    assert (second.org_unit, second.get_stage_display()) == (tree.chaoyang, "区级公示")
    # The district's auditors read the step without a city's name on it.
    client.login(
        username=make_user("cy_auditor", tree.chaoyang, "auditor").username, password=PASSWORD
    )
    page = client.get("/audit/?action=nominations.second_notice").content.decode()
    assert "列入第二轮公示" in page and "市级" not in page
    zhao.refresh_from_db()
    assert zhao.get_state_display() == "区级公示"
    with pytest.raises(Conflict, match="区级公示期至"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="second_pass")
    with pytest.raises(Conflict, match="“区级公示”状态下不能批准表彰"):
        services.nominations_advance(actor=users.cy, nominations=[zhao], action="approve")
    clock.move_to(at(2025, 10, 11, 8))
    services.nominations_advance(actor=users.cy, nominations=[zhao], action="second_pass")
    services.notice_publish(
        actor=users.cy, campaign=district_campaign, stage="final", nominations=[zhao]
    )
    clock.move_to(at(2025, 10, 20, 9))
    services.nominations_advance(actor=users.cy, nominations=[zhao], action="approve")
    award = Award.objects.get(person=zhao.person)
    assert (award.honour.code, award.year) == ("chaoyang-craftsman", 2025)


def test_haidian_cannot_run_chaoyangs_stages(clock, district_campaign, users, tree):
    zhao = put_forward(users, tree, district_campaign, "赵郁")
    with pytest.raises((NotFound, Forbidden)):
        services.notice_publish(
            actor=users.hd, campaign=district_campaign, stage="second", nominations=[zhao]
        )
    zhao.refresh_from_db()
    assert zhao.state == "nominated"


def test_a_campaign_is_run_by_the_union_that_confers_the_honour(clock, tree, users, honours):
    """campaign_create took any union it was given: Chaoyang's staff could run the city's
    首都劳动奖章 as a campaign of their own district."""
    medal = dict(
        honour=honours["capital-labour-medal"],
        year=2025,
        nominate_from=date(2025, 9, 1),
        nominate_until=date(2025, 10, 31),
    )
    for actor in (users.cy, users.admin):
        with pytest.raises(ValidationFailed) as err:
            services.campaign_create(actor=actor, org_unit=tree.chaoyang, **medal)
        assert err.value.fields == {"org_unit": "“首都劳动奖章”的评选由北京市总工会组织"}
    with pytest.raises((NotFound, Forbidden)):
        services.campaign_create(actor=users.cy, **medal)
    assert not Campaign.objects.exists()
    assert services.campaign_create(actor=users.admin, **medal).org_unit == tree.city
