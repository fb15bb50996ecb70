"""What the database itself refuses, tried from outside the services with hand-written SQL
(issue #18: maker-checker, an append-only ledger and rule versions, a budget never
committed beyond its amount). Each runs on SQLite (`make test`) and on PostgreSQL
(`make test-postgres`): the guards are the database's, not the code's."""

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gonghui.funds import ledger
from gonghui.funds.models import (
    Application,
    Budget,
    Entitlement,
    LedgerEntry,
    PayoutBatch,
    PayoutLine,
    RuleVersion,
)
from tests.factories import make_member, make_user
from tests.funds.conftest import YEAR

pytestmark = pytest.mark.django_db


def refused(sql: str, params=()) -> bool:
    """Whether the database refuses ``sql`` (the test's transaction stays usable)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError:
        return True
    return False


def paid_line(tree, users, programme, *, amount: int):
    """An entitlement of a Chaoyang member committed on the programme's budget and paid in
    cash, as the payouts feature writes it: (its line, the budget)."""
    budget = Budget.objects.get(programme=programme, year=YEAR)
    person = make_member(tree.cy_grass, "刘淑珍")
    entitlement = Entitlement.objects.create(
        programme=programme,
        budget=budget,
        person=person,
        org_unit=tree.cy_grass,
        year=YEAR,
        amount=amount,
        rule_version=RuleVersion.objects.get(programme=programme, version=1),
        payment_id=ledger.payment_id(run_id=1, person_id=person.pk),
        status=Entitlement.Status.PAID,
    )
    ledger.commit(actor=users.admin, budget=budget, amount=amount, entitlement=entitlement)
    batch = PayoutBatch.objects.create(programme=programme, org_unit=tree.city, name="批次")
    line = PayoutLine.objects.create(
        batch=batch,
        entitlement=entitlement,
        method=PayoutLine.Method.CASH,
        amount=amount,
        status=PayoutLine.Status.PAID,
    )
    ledger.pay(actor=users.admin, line=line)
    return line, budget


@pytest.fixture
def application(tree, users, funds):
    """A member's own application, entered for them by the grassroots staff (the maker)."""
    person = make_member(tree.cy_grass, "赵郁", username="zhaoyu")
    return Application.objects.create(
        programme=funds.certificate,
        person=person,
        org_unit=tree.cy_grass,
        year=YEAR,
        rule_version=RuleVersion.objects.get(programme=funds.certificate, version=1),
        applicant_user=person.user,
        created_by=users.cy_grass,
    )


INSERT_REVIEW = (
    "INSERT INTO funds_review (application_id, level, decision, reviewer_id, rule_version_id,"
    " amount, note, decided_at) VALUES (%s, %s, 'pass', %s, %s, 0, '', %s)"
)


def review_sql(application, reviewer, level=1):
    return INSERT_REVIEW, [
        application.pk,
        level,
        reviewer.pk,
        application.rule_version_id,
        connection.ops.adapt_datetimefield_value(timezone.now()),
    ]


def test_maker_checker_the_applicant_cannot_decide_their_own_application(application):
    assert refused(*review_sql(application, application.applicant_user))
    assert not application.reviews.exists()


def test_maker_checker_the_maker_cannot_decide_what_they_entered(application, users):
    assert refused(*review_sql(application, users.cy_grass))
    assert not application.reviews.exists()


def test_maker_checker_someone_else_may(application, users):
    checker = make_user("cy_grass2", application.org_unit, "grassroots_staff")
    assert not refused(*review_sql(application, checker))
    assert not refused(*review_sql(application, users.cy, level=2))
    assert application.reviews.count() == 2


def test_maker_checker_holds_for_an_update_too(application, users):
    """On PostgreSQL the trigger also guards UPDATE: a review cannot be handed to the maker
    afterwards. (SQLite's trigger guards INSERT; rows are never updated by the services.)"""
    checker = make_user("cy_grass2", application.org_unit, "grassroots_staff")
    assert not refused(*review_sql(application, checker))
    if connection.vendor == "postgresql":
        assert refused("UPDATE funds_review SET reviewer_id = %s", [users.cy_grass.pk])


@pytest.fixture
def rows(tree, users, funds):
    line, budget = paid_line(tree, users, funds.illness, amount=300_000)
    return LedgerEntry.objects.filter(budget=budget).order_by("id")


def test_ledger_rows_cannot_be_changed_nor_deleted(rows):
    commit, pay = rows
    assert (commit.kind, pay.kind) == ("commit", "pay")
    assert refused("UPDATE funds_ledgerentry SET amount = 1 WHERE id = %s", [pay.pk])
    assert refused("UPDATE funds_ledgerentry SET note = 'x'")
    assert refused("DELETE FROM funds_ledgerentry WHERE id = %s", [commit.pk])
    # Through the ORM alike.
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=pay.pk).update(amount=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=pay.pk).delete()
    assert [(r.kind, r.amount) for r in rows.all()] == [("commit", 300_000), ("pay", 300_000)]


@pytest.mark.postgres
def test_ledger_cannot_be_truncated_on_postgresql(postgres, rows):
    # TRUNCATE is PostgreSQL's (SQLite's DELETE is refused above).
    assert refused("TRUNCATE funds_ledgerentry CASCADE")
    assert rows.count() == 2


def test_rule_versions_cannot_be_changed_nor_deleted(funds):
    v1 = RuleVersion.objects.get(programme=funds.illness, version=1)
    assert refused("UPDATE funds_ruleversion SET rule = '{}' WHERE id = %s", [v1.pk])
    assert refused("UPDATE funds_ruleversion SET note = 'rewritten'")
    assert refused("DELETE FROM funds_ruleversion WHERE id = %s", [v1.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        RuleVersion.objects.filter(pk=v1.pk).update(version=9)
    v1.refresh_from_db()
    assert (v1.version, v1.rule["kind"]) == (1, "illness")


def test_a_budget_cannot_be_committed_beyond_its_amount_even_by_hand(funds):
    budget = Budget.objects.get(programme=funds.condolence, year=YEAR)
    assert refused("UPDATE funds_budget SET committed = amount + 1 WHERE id = %s", [budget.pk])
    assert refused("UPDATE funds_budget SET amount = committed - 1 WHERE id = %s", [budget.pk])
    assert refused("UPDATE funds_budget SET committed = -1 WHERE id = %s", [budget.pk])
    assert not refused("UPDATE funds_budget SET committed = amount WHERE id = %s", [budget.pk])
    budget.refresh_from_db()
    assert budget.committed == budget.amount
    with pytest.raises(DatabaseError), transaction.atomic():
        Budget.objects.create(
            programme=funds.condolence, org_unit=budget.org_unit, year=YEAR + 1,
            amount=100, committed=101,
        )  # fmt: skip


def test_the_commit_helper_refuses_beyond_the_budget_and_writes_nothing(users, funds):
    from gonghui.common.errors import ValidationFailed

    budget = Budget.objects.get(programme=funds.condolence, year=YEAR)
    ledger.commit(actor=users.cy, budget=budget, amount=budget.amount - 100)
    with pytest.raises(ValidationFailed) as refusal:
        ledger.commit(actor=users.cy, budget=budget, amount=101)
    assert "超出预算" in refusal.value.fields["amount"]
    budget.refresh_from_db()
    assert budget.remaining == 100
    assert LedgerEntry.objects.filter(budget=budget).count() == 1


def test_user_model_is_the_one_reviews_point_at():
    assert get_user_model()._meta.db_table == "auth_user"
