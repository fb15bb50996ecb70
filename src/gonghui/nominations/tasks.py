"""Background work of nominations, run by ``gonghui worker`` (django-tasks)."""

from django_tasks import task

from gonghui.jobs.services import run_export
from gonghui.nominations import exports, selectors, services


def _final_list(*, actor, params: dict, out, progress) -> tuple[str, str]:
    campaign = selectors.campaign_get(actor=actor, pk=params["campaign"])
    services.final_list_check(actor=actor, campaign=campaign)
    out.write(exports.final_list_xlsx(campaign))
    return f"{campaign.name}表彰名单.xlsx", "表彰名单已生成"


@task()
def final_list_task(job_id: int) -> None:
    """A campaign's final list (表彰名单), for the job's page to offer."""
    run_export(job_id, _final_list)
