"""The budget race through the approval itself (issue #18, figures): 8 processes approve 8
applications at once against a budget with room for 3 — exactly 3 approved, each with its
entitlement and commitment; the other 5 refused over budget with nothing written, still
waiting at their level. On the leg's database (SQLite in `make test`, PostgreSQL in `make
test-postgres`)."""

import multiprocessing

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from gonghui.common.errors import ValidationFailed
from gonghui.funds.applications.services import application_decide, application_submit
from gonghui.funds.models import Application, Budget, Entitlement, LedgerEntry
from tests.factories import make_member

WORKERS = 8
ROOM = 3
AID = 200000  # 2,000元: the table's floor


def _approver(barrier, results, user_id: int, application_id: int):
    answer = "error"
    try:
        connection.ensure_connection()
        user = get_user_model().objects.get(pk=user_id)
        app = Application.objects.get(pk=application_id)
        barrier.wait(timeout=30)
        try:
            application_decide(actor=user, application=app, decision="pass")
            answer = "approved"
        except ValidationFailed as exc:
            answer = "over" if "amount" in exc.fields else f"refused: {exc}"
    finally:
        connections.close_all()
        results.put((application_id, answer))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_approvers_on_a_nearly_spent_budget_never_go_over(
    funds, tree, users, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    Budget.objects.filter(programme=funds.illness).update(amount=ROOM * AID + AID // 2)
    apps = []
    for n in range(WORKERS):
        person = make_member(tree.cy_grass, f"会员{n}")
        app = application_submit(
            actor=users.cy_street,
            programme=funds.illness,
            person=person,
            facts={
                "self_paid": "100",
                "grade": "一般困难",
                "diagnosis": "肺炎",
                "event_date": "2026-01-05",
                "hospital": "某医院",
            },
            documents={key: _pdf() for key in ("diagnosis_doc", "bills_doc", "hardship_doc")},
        )
        apps.append(application_decide(actor=users.cy_grass, application=app, decision="pass"))
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
    connections.close_all()
    workers = [
        ctx.Process(target=_approver, args=(barrier, results, users.cy.pk, app.pk)) for app in apps
    ]
    for w in workers:
        w.start()
    answers = dict(results.get(timeout=120) for _ in workers)
    for w in workers:
        w.join(timeout=30)

    assert sorted(answers.values()) == ["approved"] * ROOM + ["over"] * (WORKERS - ROOM), answers
    budget = Budget.objects.get(programme=funds.illness)
    assert budget.committed == ROOM * AID
    approved = {pk for pk, answer in answers.items() if answer == "approved"}
    assert set(Entitlement.objects.values_list("application_id", flat=True)) == approved
    assert LedgerEntry.objects.filter(kind="commit").count() == ROOM
    waiting = Application.objects.exclude(pk__in=approved)
    assert {a.status for a in waiting} == {"verified"} and all(
        a.reviews.count() == 1 for a in waiting
    )


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("证明.pdf", b"%PDF-1.4 x", content_type="application/pdf")
