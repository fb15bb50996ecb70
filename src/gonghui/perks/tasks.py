"""Background work of member services, run by ``gonghui worker`` (django-tasks)."""

from django_tasks import task


@task()
def waitlist_rank_task(giveaway_id: int) -> int:
    """A drawn lottery's waitlist order, written right after the draw."""
    from gonghui.perks.models import Giveaway
    from gonghui.perks.services import waitlist_rank  # services enqueue this task

    giveaway = Giveaway.objects.filter(pk=giveaway_id).first()
    return waitlist_rank(giveaway=giveaway) if giveaway else 0
