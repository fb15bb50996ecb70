"""Nominations and merges of two records of one person: a nomination carried by a merge,
then approved, makes its award on the record kept, and the award goes back with the
nomination when the merge is undone; a record merged away is not nominated."""

import pytest

from gonghui.common.errors import ValidationFailed
from gonghui.nominations import services
from gonghui.nominations.models import Nomination
from gonghui.people.services import MERGED
from gonghui.registry.models import Award
from gonghui.registry.services import award_create, merge_reverse, person_merge
from tests.factories import make_person
from tests.nominations.conftest import MATERIALS, at
from tests.nominations.test_levels import district_campaign, put_forward  # noqa: F401


def test_an_award_made_after_the_merge_follows_its_nomination_back(
    clock,
    district_campaign,  # noqa: F811  (the fixture imported above)
    users,
    tree,
):
    nomination = put_forward(users, tree, district_campaign, "赵郁")
    loser = nomination.person
    services.notice_publish(
        actor=users.cy_grass, campaign=district_campaign, stage="first", nominations=[nomination]
    )
    clock.move_to(at(2025, 9, 27, 0, 0))
    services.nominations_advance(actor=users.cy, nominations=[nomination], action="first_pass")
    services.node_list_submit(actor=users.cy, campaign=district_campaign, org_unit=tree.cy_street)
    services.notice_publish(
        actor=users.cy, campaign=district_campaign, stage="second", nominations=[nomination]
    )
    clock.move_to(at(2025, 10, 11, 8))
    services.nominations_advance(actor=users.cy, nominations=[nomination], action="second_pass")
    services.notice_publish(
        actor=users.cy, campaign=district_campaign, stage="final", nominations=[nomination]
    )
    clock.move_to(at(2025, 10, 20, 9))
    # The nominee's older record (the survivor) holds an honour of its own, which stays.
    kept = make_person(tree.cy_grass, "赵郁", is_front_line=True)
    own = award_create(actor=users.admin, honour=district_campaign.honour, person=kept, year=2024)
    merge = person_merge(actor=users.cy, survivor=kept, loser=loser)
    nomination.refresh_from_db()
    services.nominations_advance(actor=users.cy, nominations=[nomination], action="approve")
    award = Award.objects.get(honour=district_campaign.honour, year=2025)
    assert award.person == kept

    merge_reverse(actor=users.admin, merge=merge)
    nomination.refresh_from_db()
    award.refresh_from_db()
    assert nomination.person == loser and award.person == loser
    assert Award.objects.get(pk=own.pk).person == kept


def test_a_merged_record_is_not_nominated(clock, district_campaign, users, tree):  # noqa: F811
    kept = make_person(tree.cy_grass, "赵郁", is_front_line=True)
    loser = make_person(tree.cy_grass, "赵郁", is_front_line=True)
    person_merge(actor=users.cy, survivor=kept, loser=loser)
    loser.refresh_from_db()
    with pytest.raises(ValidationFailed) as err:
        services.nomination_create(
            actor=users.cy_grass,
            campaign=district_campaign,
            person_id=loser.pk,
            org_unit=tree.cy_grass,
            **MATERIALS,
        )
    assert err.value.fields == {"person": MERGED}
    assert not Nomination.objects.exists()
