"""Background work of member services, run by ``gonghui worker`` (django-tasks)."""

from django_tasks import task

from gonghui.jobs.services import run_export


@task()
def waitlist_rank_task(giveaway_id: int) -> int:
    """A drawn lottery's waitlist order, written right after the draw."""
    from gonghui.perks.giveaways.services import waitlist_rank  # services enqueue this task
    from gonghui.perks.models import Giveaway

    giveaway = Giveaway.objects.filter(pk=giveaway_id).first()
    return waitlist_rank(giveaway=giveaway) if giveaway else 0


def _winners(*, actor, params: dict, out, progress) -> tuple[str, str]:
    from gonghui.perks.giveaways import selectors, services  # services enqueue these tasks

    giveaway = selectors.giveaway_get(actor=actor, pk=params["giveaway"])
    out.write(services.winners_export(actor=actor, giveaway=giveaway))
    return f"{giveaway.title}领取名单.xlsx", "领取名单已生成（姓名、所属工会、领取码）"


@task()
def winners_export_task(job_id: int) -> None:
    """The venue's list of a giveaway, for the job's page to offer (``winners_export``)."""
    run_export(job_id, _winners)
