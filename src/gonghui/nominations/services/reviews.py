"""Reviews: departments' clearance opinions, the review and approval steps (one nominee or
a batch, all or nothing; approval writes the awards), and a node's list reported to the
organising union."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.common.errors import Conflict, ValidationFailed
from gonghui.common.formats import cn_date
from gonghui.nominations import rules
from gonghui.nominations.models import Campaign, Nomination, Notice, Objection, Quota
from gonghui.nominations.services._shared import (
    _acting_grant,
    _counters_release,
    _event,
    _level,
    _locked,
    _move,
    _step,
)
from gonghui.nominations.workflow import AFTER_NOTICE, TRANSITIONS, State, refusal
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.registry.models import Category
from gonghui.registry.services import award_create


@transaction.atomic
def clearance_record(*, actor, nomination: Nomination, department: str, opinion: str) -> None:
    """A department's clearance opinion on a nominee who manages others (e.g. 纪检监察)."""
    (nomination,) = _locked([nomination])
    grant = _acting_grant(actor, nomination, "first_pass")
    if nomination.state not in (State.NOMINATED, State.FIRST_NOTICE):
        raise Conflict("部门意见在初审前征求；当前状态下不能再记录")
    if department not in nomination.campaign.clearance_departments:
        raise ValidationFailed(
            {
                "department": "须征求意见的部门为："
                + "、".join(nomination.campaign.clearance_departments)
            }
        )
    if not (opinion or "").strip():
        raise ValidationFailed({"opinion": "请填写部门意见"})
    nomination.clearances = {**nomination.clearances, department: opinion.strip()[:500]}
    nomination.save(update_fields=["clearances", "updated_at"])
    _step(nomination, "clearance", actor, f"{department}：{opinion.strip()}")
    _event(
        actor,
        Action.NOMINATIONS_CLEARANCE,
        nomination,
        grant,
        {department: [None, opinion.strip()]},
    )


@transaction.atomic
def nominations_advance(
    *, actor, nominations: list[Nomination], action: str, opinion: str = ""
) -> list[Nomination]:
    """A review or approval step for one nominee or a batch: all or nothing. Each must be in
    the right state, past its notice, free of open objections; rejections need a reason;
    a manager passes the first review only with every clearance opinion recorded; approval
    writes the awards into the registry."""
    if action not in AFTER_NOTICE:
        raise ValidationFailed({"action": "不能批量办理此操作"})
    if not nominations:
        raise ValidationFailed({"nominations": "请选择被推荐人"})
    opinion = (opinion or "").strip()
    rejecting = TRANSITIONS[action].target == State.REJECTED
    if rejecting and not opinion:
        raise ValidationFailed({"opinion": "不通过须写明理由"})
    rows = _locked(nominations)
    grants = [_acting_grant(actor, n, action) for n in rows]
    blocked = set(
        Objection.objects.filter(
            nomination__in=rows,
            status__in=[Objection.Status.RECEIVED, Objection.Status.VERIFYING],
        ).values_list("nomination_id", flat=True)
    )
    notices = _latest_notices(rows, AFTER_NOTICE[action])
    for n in rows:
        if reason := refusal(action, n.state, _level(n)):
            raise Conflict(f"{n.person.name}：{reason}")
        _notice_closed(n, AFTER_NOTICE[action], notices.get(n.pk))
        if n.pk in blocked:
            raise Conflict(f"{n.person.name}有尚未办结的异议，须先核查办结")
        if action == "first_pass" and n.rank in rules.MANAGER_RANKS:
            missing = [d for d in n.campaign.clearance_departments if d not in n.clearances]
            if missing:
                raise ValidationFailed(
                    {"clearances": f"{n.person.name}为管理人员，尚缺{'、'.join(missing)}的意见"}
                )
    if rejecting:
        _counters_release(rows)
    if action == "approve":
        names = {c for n in rows for c in n.category_list}
        categories = {c.name: c for c in Category.objects.filter(name__in=names)}
    for n, grant in zip(rows, grants, strict=True):
        if rejecting:
            n.live, n.reason = False, opinion[:500]
        if action == "approve":
            award_create(
                actor=actor,
                honour=n.campaign.honour,
                person=n.person,
                year=n.campaign.year,
                categories=[categories[c] for c in n.category_list if c in categories],
                deeds=n.deeds or n.brief,
            )
        _move(n, action, actor, grant, opinion)
    return rows


@transaction.atomic
def node_list_submit(*, actor, campaign: Campaign, org_unit: OrgUnit) -> Quota:
    """A quota node reports its list to the city: every nominee reviewed, and the node's
    minimum shares met (minimums are checked here, not per nominee)."""
    quota = Quota.objects.select_for_update().filter(campaign=campaign, org_unit=org_unit).first()
    if quota is None:
        raise ValidationFailed({"org_unit": "该单位没有本次评选的名额"})
    grant = access.require_at(actor, "nominations.review", org_unit, view_perm="nominations.view")
    if quota.submitted_at:
        raise Conflict(f"{org_unit.name}已于 {cn_date(quota.submitted_at)} 报送名单")
    pending = quota.nominations.filter(
        state__in=[State.DRAFT, State.NOMINATED, State.FIRST_NOTICE]
    ).select_related("person")
    if pending:
        names = "、".join(n.person.name for n in pending[:5])
        raise ValidationFailed({"nominations": f"尚有未完成初审的被推荐人：{names}"})
    nodes, _ = rules.quota_status(campaign)
    status = next(s for s in nodes if s.quota.pk == quota.pk)
    if status.total == 0:
        raise ValidationFailed({"nominations": "名单为空"})
    broken = [s for s in status.rules if not s.ok]
    if broken:
        raise ValidationFailed(
            {
                "rules": "；".join(
                    f"不符合“{s.rule.label}”（现 {s.count}/{s.total}）" for s in broken
                )
            }
        )
    quota.submitted_at = timezone.now()
    quota.save(update_fields=["submitted_at"])
    _event(actor, Action.NOMINATIONS_LIST_SUBMIT, quota, grant, {"nominees": [None, status.total]})
    return quota


def _latest_notices(nominations: list[Nomination], stage: str) -> dict[int, Notice]:
    """Each nomination's latest notice of ``stage``, by nomination pk, in one query."""
    links = (
        Notice.nominations.through.objects.filter(nomination__in=nominations, notice__stage=stage)
        .select_related("notice")
        .order_by("notice__published_at", "notice__pk")
    )
    return {link.nomination_id: link.notice for link in links}  # the latest last


def _notice_closed(nomination: Nomination, stage: str, notice: Notice | None) -> None:
    """``notice`` (the nomination's latest of ``stage``) exists and has closed."""
    name = Notice.stage_label(stage, _level(nomination))
    if notice is None:
        raise Conflict(f"{nomination.person.name}尚未经过{name}")
    if timezone.now() < notice.closes_at:
        raise Conflict(
            f"{nomination.person.name}的{name}期至 {cn_date(notice.ends_on)} "
            "（当日24时）结束，公示期满后才能办理下一步"
        )
