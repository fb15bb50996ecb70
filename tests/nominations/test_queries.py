"""The lists of objections and notices read what each row shows with the rows: their
queries do not grow with the rows."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gonghui.nominations import selectors, services
from gonghui.nominations.models import Notice, Objection
from tests.factories import PASSWORD
from tests.nominations.conftest import at


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
        reference=services._reference(),
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
