"""Notices (公示): a stage's list of nominees published for a period of working (or
calendar) days; the next step waits for it to close."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.common.workdays import add_workdays, end_of_day, today
from gonghui.nominations import rules
from gonghui.nominations.models import Campaign, Nomination, Notice
from gonghui.nominations.services._shared import _acting_grant, _event, _level, _locked, _move
from gonghui.nominations.workflow import NOTICE_OF, refusal


def notice_period(campaign: Campaign, starts_on: date) -> date:
    """The last day of a notice published on ``starts_on`` (working days unless the campaign
    counts calendar days); refuses when the calendar lacks a year the period runs into."""
    if campaign.notice_calendar_days:
        return starts_on + timedelta(days=campaign.notice_days - 1)
    return add_workdays(starts_on, campaign.notice_days)


@transaction.atomic
def notice_publish(
    *,
    actor,
    campaign: Campaign,
    stage: str,
    nominations: list[Nomination],
    starts_on: date | None = None,
    title: str = "",
) -> Notice:
    """Publish a notice of ``stage`` listing ``nominations`` (each moves into the notice's
    state). The first notice is the nominating unit's; the second and final the city's.
    The list shows the campaign's notice fields; the period is counted by ``add_workdays``."""
    action = {v: k for k, v in NOTICE_OF.items()}.get(stage)
    if action is None:
        names = (Notice.stage_label(s, campaign.honour.level) for s in Notice.Stage.values)
        raise ValidationFailed({"stage": "公示阶段应为：" + "、".join(names)})
    if not nominations:
        raise ValidationFailed({"nominations": "请选择公示的被推荐人"})
    rows = _locked(nominations)
    if any(n.campaign_id != campaign.pk for n in rows):
        raise ValidationFailed({"nominations": "被推荐人不属于本次评选"})
    publisher = rows[0].org_unit if stage == Notice.Stage.FIRST else campaign.org_unit
    if stage == Notice.Stage.FIRST and any(n.org_unit_id != publisher.pk for n in rows):
        raise ValidationFailed({"nominations": "基层公示只能列出本单位推荐的人员"})
    grants = [_acting_grant(actor, n, action) for n in rows]
    for n in rows:
        if reason := refusal(action, n.state, _level(n)):
            raise Conflict(f"{n.person.name}：{reason}")
    if stage == Notice.Stage.SECOND:
        _check_second_notice(campaign, rows)
    starts_on = starts_on or today()
    if starts_on < today():
        raise ValidationFailed({"starts_on": "公示开始日期不能早于今天"})
    ends_on = notice_period(campaign, starts_on)
    notice = Notice.objects.create(
        campaign=campaign,
        stage=stage,
        org_unit=publisher,
        title=title.strip() or f"{campaign.name}{Notice.stage_label(stage, campaign.honour.level)}",
        starts_on=starts_on,
        ends_on=ends_on,
        closes_at=end_of_day(ends_on),
        fields=list(campaign.notice_fields),
        contact=campaign.objection_contact,
        published_by=actor,
    )
    notice.nominations.set(rows)
    _event(
        actor,
        Action.NOMINATIONS_NOTICE_PUBLISH,
        notice,
        grants[0],
        {"nominations": [None, len(rows)]},
    )
    for n, grant in zip(rows, grants, strict=True):
        _move(n, action, actor, grant, notice.title)
    return notice


def _check_second_notice(campaign: Campaign, rows: list[Nomination]) -> None:
    """The city lists only nominees whose node has reported its list, and the whole list
    meets the campaign-wide minimums."""
    unreported = sorted({n.quota.org_unit.name for n in rows if n.quota.submitted_at is None})
    if unreported:
        raise ValidationFailed({"nominations": f"{'、'.join(unreported)}尚未报送推荐名单"})
    _, overall = rules.quota_status(campaign)
    broken = [s.rule.label for s in overall if not s.ok]
    if broken:
        raise ValidationFailed({"rules": "全部名单不符合结构比例：" + "；".join(broken)})
