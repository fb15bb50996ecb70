"""What waits in funds for a post (工作台): applications at the review level the post
decides, and draft payout batches with lines the prediction says the bank will refuse."""

from __future__ import annotations

from gonghui.common.workbench import Waiting, capped_count
from gonghui.funds.applications.selectors import (
    LEVEL_NAME,
    LEVEL_PERM,
    LEVEL_UNITS,
    Filters,
    application_list,
)
from gonghui.funds.models import PayoutBatch, Programme
from gonghui.funds.payouts.selectors import lines_predicted_to_fail
from gonghui.funds.programmes.selectors import programme_list
from gonghui.orgs import access

APP = "资金帮扶"


def waiting(actor) -> list[Waiting]:
    if not access.can(actor, "funds.view"):
        return []
    return _applications(actor) + _predicted_failures(actor)


def decision_levels(actor) -> list[int]:
    """The review levels (1 基层核实, 2 区级审核, 3 市级审批) a post of the actor decides at:
    ``LEVEL_PERM`` held on a post at ``LEVEL_UNITS``."""
    found = []
    for level, perm in LEVEL_PERM.items():
        units = LEVEL_UNITS[level]
        levels = access.post_levels(actor, perm)
        if levels and (units is None or levels & set(units)):
            found.append(level)
    return found


def _applications(actor) -> list[Waiting]:
    levels = decision_levels(actor)
    if not levels:
        return []
    items = []
    programmes = programme_list(actor).filter(is_active=True, entry=Programme.Entry.APPLY)
    for programme in programmes:
        for level in levels:
            if level > programme.levels:
                continue
            rows = application_list(
                actor=actor, programme=programme, filters=Filters(level=str(level))
            )
            n = capped_count(rows)
            if n:
                items.append(
                    Waiting(
                        APP,
                        f"{programme.name}：待{LEVEL_NAME[level]}",
                        n,
                        "funds:applications",
                        (programme.pk,),
                        f"level={level}",
                        deadline=programme.closes_on,
                    )
                )
    return items


def _predicted_failures(actor) -> list[Waiting]:
    """Draft batches the actor pays from, with lines predicted to fail (to re-route before
    the batch is released); the deadline is the batch's."""
    batches = access.restrict(
        PayoutBatch.objects.filter(status=PayoutBatch.Status.DRAFT), actor, "funds.pay"
    ).order_by("deadline", "pk")[:20]
    items = []
    for batch in batches:
        n = capped_count(lines_predicted_to_fail(batch))
        if n:
            items.append(
                Waiting(
                    APP,
                    f"{batch.name}：预判失败待处理",
                    n,
                    "funds:batch",
                    (batch.pk,),
                    "status=pending&flagged=fail",
                    deadline=batch.deadline,
                )
            )
    return items
