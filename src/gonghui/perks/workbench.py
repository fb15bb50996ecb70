"""What waits in member services for a post (工作台): the giveaways it organises that open
today (Beijing time), each linked to its page."""

from __future__ import annotations

from datetime import timedelta

from gonghui.common import workdays
from gonghui.common.workbench import Waiting
from gonghui.orgs import access
from gonghui.perks.giveaways.selectors import giveaway_list
from gonghui.perks.models import Giveaway

APP = "会员服务"
SHOWN = 10  # giveaways listed at most (a busy day's rest is on the giveaways page)


def waiting(actor) -> list[Waiting]:
    if not access.can(actor, "perks.view"):
        return []
    today = workdays.today()
    opening = (
        giveaway_list(actor=actor, sort="opens")
        .filter(
            opens_at__gte=workdays.end_of_day(today - timedelta(days=1)),
            opens_at__lt=workdays.end_of_day(today),
        )
        .exclude(status__in=(Giveaway.Status.DRAFT, Giveaway.Status.CANCELLED))[:SHOWN]
    )
    return [
        Waiting(
            APP,
            f"今日开始：{g.title}（{g.opens_at.astimezone(workdays.SHANGHAI):%H:%M}）",
            1,
            "perks:giveaway",
            (g.pk,),
            deadline=today,
        )
        for g in opening
    ]
