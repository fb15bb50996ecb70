"""The final list (表彰名单) of a campaign, made in the background for its approvers."""

from __future__ import annotations

from gonghui.common.errors import NotFound
from gonghui.jobs.services import export_start
from gonghui.nominations.models import Campaign
from gonghui.nominations.selectors import may_have_final_list


def final_list_export_start(*, actor, campaign: Campaign):
    """Queue a campaign's final list as a background job (it grows with the campaign),
    for the staff who approve its nominees (others find no such list)."""
    from gonghui.nominations.tasks import final_list_task  # (it imports these services)

    final_list_check(actor=actor, campaign=campaign)
    return export_start(
        actor=actor,
        kind="nominations.final_list",
        title=f"{campaign.name} 表彰名单",
        org_unit=campaign.org_unit,
        params={"campaign": campaign.pk},
        task=final_list_task,
    )


def final_list_check(*, actor, campaign: Campaign) -> None:
    """Who may have a campaign's final list: its approvers (``NotFound`` for others)."""
    if not may_have_final_list(actor=actor, campaign=campaign):
        raise NotFound()
