"""What waits in training for a post (工作台): studio reports at the level it reviews, and
the problems assigned to its union (交办问题) still open."""

from __future__ import annotations

from gonghui.common.workbench import CAP, Waiting, capped_count
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit
from gonghui.training.models import StudioReport
from gonghui.training.outreach.selectors import problems_waiting
from gonghui.training.studios.selectors import DISTRICT_LEVELS, REVIEW, report_list

APP = "素质建设"


def waiting(actor) -> list[Waiting]:
    if not access.can(actor, "training.view"):
        return []
    return _reports(actor) + _problems(actor)


def _reports(actor) -> list[Waiting]:
    levels = access.post_levels(actor, REVIEW)
    queues = []
    if levels & set(DISTRICT_LEVELS):
        queues.append(StudioReport.Status.SUBMITTED)
    if OrgUnit.Level.CITY in levels:
        queues.append(StudioReport.Status.DISTRICT_OK)
    items = []
    for status in queues:
        n = capped_count(report_list(actor=actor, status=status))
        if n:
            items.append(
                Waiting(
                    APP,
                    f"创新工作室年度成果：{status.label}",
                    n,
                    "training:studio_reports",
                    query=f"status={status.value}",
                )
            )
    return items


def _problems(actor) -> list[Waiting]:
    grant = access.home_grant(actor, "training.apply")
    if grant is None:
        return []
    rows = problems_waiting(actor, limit=CAP)
    if not rows:
        return []
    return [
        Waiting(
            APP,
            "交办问题待答复",
            len(rows),
            "training:problems",
            query=f"status=open&assignee={grant.unit_id}",
            deadline=rows[0].due_on,
        )
    ]
