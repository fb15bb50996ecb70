"""The lists of objections and notices read what each row shows with the rows: their
queries do not grow with the rows."""

import traceback
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.nominations import rules, selectors, services
from gonghui.nominations.models import Nomination, Notice, Objection
from gonghui.nominations.services.objections import _reference
from gonghui.nominations.workflow import State
from gonghui.registry.models import Award
from tests.factories import PASSWORD
from tests.nominations.conftest import at, counted, nominate


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def city_notice(campaign, nominations, actor) -> Notice:
    """A second-stage notice (the city's), as the procedure would have published it."""
    notice = Notice.objects.create(
        campaign=campaign,
        stage=Notice.Stage.SECOND,
        org_unit=campaign.org_unit,
        title="市级公示",
        starts_on=date(2025, 9, 22),
        ends_on=date(2025, 9, 26),
        closes_at=at(2025, 9, 27),
        published_by=actor,
    )
    notice.nominations.set(nominations)
    return notice


def objection(notice, nomination) -> Objection:
    return Objection.objects.create(
        notice=notice,
        nomination=nomination,
        reference=_reference(),
        name="张三",
        contact="13800001111",
        text="反映其成果系他人完成的具体事实",
        filed_at=timezone.now(),
    )


def test_objection_lists_read_the_reviewing_unit_with_the_rows(client, campaign, nominees, users):
    zhao = nominees["赵郁"]
    notice = city_notice(campaign, [zhao], users.admin)
    client.login(username="admin_t", password=PASSWORD)

    def counts():
        return [
            queries(lambda: selectors.objection_list(actor=users.admin, campaign=campaign)),
            queries(lambda: selectors.timeline(actor=users.admin, nomination=zhao)),
            queries(lambda: client.get(f"/nominations/n/{zhao.pk}/")),
            queries(lambda: client.get(f"/nominations/{campaign.pk}/")),
        ]

    objection(notice, zhao)
    counts()  # a first request also fills caches (content types, the session)
    one = counts()
    for _ in range(3):
        objection(notice, zhao)
    assert counts() == one
    assert len(selectors.objection_list(actor=users.admin, campaign=campaign)) == 4


def test_the_campaign_page_reads_its_notices_publishers_with_them(
    client, campaign, nominees, users
):
    client.login(username="admin_t", password=PASSWORD)
    city_notice(campaign, [nominees["赵郁"]], users.admin)
    client.get(f"/nominations/{campaign.pk}/")  # a first request also fills caches
    one = queries(lambda: client.get(f"/nominations/{campaign.pk}/"))
    for _ in range(3):
        city_notice(campaign, [nominees["赵郁"]], users.admin)
    assert queries(lambda: client.get(f"/nominations/{campaign.pk}/")) == one


def reads_here(call) -> int:
    """The SELECTs the nominations code itself runs in ``call`` (the audit log's and the
    registry's own reads, per event and per award, are theirs)."""
    here = []

    def note(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            ours = next(f for f in reversed(traceback.extract_stack()) if "/gonghui/" in f.filename)
            here.append("/gonghui/nominations/" in ours.filename)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        call()
    return sum(here)


def test_a_batch_reads_its_notices_counters_and_categories_once(clock, campaign, users, tree):
    services.quota_set(actor=users.admin, campaign=campaign, org_unit=tree.chaoyang, allowed=10)
    people = [nominate(users, tree, campaign, f"甲{i}") for i in range(8)]
    Nomination.objects.filter(pk__in=[p.pk for p in people]).update(categories="|一线职工|")
    services.notice_publish(
        actor=users.cy_grass, campaign=campaign, stage="first", nominations=people[:4]
    )
    final = city_notice(campaign, people[4:], users.admin)
    final.stage = Notice.Stage.FINAL
    final.save()
    Nomination.objects.filter(pk__in=[p.pk for p in people[4:]]).update(state=State.FINAL_NOTICE)
    clock.move_to(at(2025, 10, 1))

    def advance(actor, batch, action, opinion=""):
        return reads_here(
            lambda: services.nominations_advance(
                actor=actor, nominations=batch, action=action, opinion=opinion
            )
        )

    rejected = [advance(users.cy, b, "first_reject", "材料不实") for b in (people[:1], people[1:4])]
    approved = [advance(users.admin, b, "approve") for b in (people[4:5], people[5:8])]
    assert rejected[0] == rejected[1]
    assert approved[0] == approved[1]
    assert counted(rules.quota_status(campaign)) == counted(rules.quota_recount(campaign))
    awards = Award.objects.filter(honour=campaign.honour, year=2025)
    assert awards.count() == 4 and {c.name for a in awards for c in a.categories.all()} == {
        "一线职工"
    }
