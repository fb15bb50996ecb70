"""`gonghui demo`: the staff logins, a registry across the catalogue, and the two campaigns
(one finished with its awards, one in its first notice with an open objection)."""

from django.core.management import call_command

from gonghui.nominations.models import Campaign, Objection
from gonghui.nominations.services import notice_open
from gonghui.nominations.workflow import State
from gonghui.registry.models import Award, Honour


def test_demo_builds_registry_and_campaigns(db):
    call_command("demo", people=1000)  # the default size
    honours_given = set(Award.objects.values_list("honour__code", flat=True))
    assert honours_given == set(Honour.objects.values_list("code", flat=True))
    finished, running = Campaign.objects.order_by("year")
    assert finished.status == Campaign.Status.CLOSED
    approved = finished.nominations.filter(state=State.APPROVED)
    assert approved.count() == 4
    assert Award.objects.filter(honour=finished.honour, year=finished.year).count() >= 4
    assert set(finished.notices.values_list("stage", flat=True)) == {"first", "second", "final"}
    assert running.status == Campaign.Status.OPEN
    assert running.nominations.filter(state=State.FIRST_NOTICE).count() == 6
    assert all(notice_open(n) for n in running.notices.all())
    assert (
        Objection.objects.filter(
            nomination__campaign=running, status=Objection.Status.RECEIVED
        ).count()
        == 2
    )
