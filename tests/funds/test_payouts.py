"""Payout batches (issue #18, 5 and 6): building (resumable), release against prediction,
deadline and maker-checker, the bank file and its ledger rows, return import (idempotent,
refused whole), re-issue and cash, never paid twice, reconciliation."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from gonghui.audit.models import AuditEvent
from gonghui.common import workdays
from gonghui.common.errors import Forbidden, NotFound, ValidationFailed
from gonghui.funds.models import (
    Entitlement,
    LedgerEntry,
    PayoutBatch,
    PayoutLine,
    ReturnImport,
    Run,
)
from gonghui.funds.payouts import selectors, services
from gonghui.orgs.models import Role
from tests.factories import make_member, make_user
from tests.funds.test_payouts_world import (  # noqa: F401  (world: a fixture)
    account_for,
    owe,
    predict,
    read_bank_file,
    receipt,
    return_file,
    world_fixture,
)

pytestmark = pytest.mark.django_db


def lines_of(batch, **filters):
    return PayoutLine.objects.filter(batch=batch, **filters).order_by("pk")


def events(action):
    return AuditEvent.objects.filter(action=action)


# --- Building ------------------------------------------------------------------------------


def test_a_batch_takes_the_owed_entitlements_of_its_union_and_leaves_out_payees_without_account(
    world,
):
    batch = world.batch()
    lines = list(lines_of(batch))
    assert [line.entitlement for line in lines] == world.entitlements[:3]
    assert [line.account for line in lines] == [world.accounts[p.pk][0] for p in world.people]
    assert all(line.status == "pending" for line in lines)
    assert batch.built and batch.line_count == 3 and batch.total == 2_200_000
    assert set(Entitlement.objects.filter(lines__batch=batch).values_list("status", flat=True)) == {
        "batched"
    }
    # The payee without an account stays owed, listed on the batch page.
    assert [e.person for e in selectors.missing_accounts(batch)] == [world.nobody]
    assert Entitlement.objects.get(pk=world.entitlements[3].pk).status == "owed"
    # Haidian's certificate entitlement is not Chaoyang's, nor this programme's.
    assert not lines_of(batch, entitlement=world.hd_entitlement).exists()
    assert list(events("funds.batch_create").values_list("object_id", flat=True)) == [str(batch.pk)]


def test_the_default_account_is_taken_even_when_it_will_fail_else_the_best_active_one(world):
    locked = world.people[1]
    world.accounts[locked.pk][0].status = "dormant"
    world.accounts[locked.pk][0].save()
    other = world.people[2]
    card = world.accounts[other.pk][0]
    card.is_default = False
    card.save()
    passbook = account_for(other, kind="passbook", default=False)
    account_for(other, kind="bank_card", default=False, status="closed")
    batch = world.batch()
    by_person = {line.entitlement.person_id: line.account for line in lines_of(batch)}
    assert by_person[locked.pk] == world.accounts[locked.pk][0]  # the prediction flags it
    assert by_person[other.pk] == card  # a Ⅰ类 card before a passbook
    assert passbook != card


def test_a_second_batch_finds_nothing_owed_and_never_takes_an_entitlement_twice(world):
    world.batch()
    second = world.batch(name="再编一次")
    assert second.line_count == 0 and second.built
    assert PayoutLine.objects.count() == 3


def test_the_run_gives_the_deadline_and_limits_the_entitlements(world):
    run = Run.objects.create(
        programme=world.funds.condolence,
        org_unit=world.tree.chaoyang,
        name="2027年春节慰问",
        year=2027,
        deadline=workdays.today() + timedelta(days=30),
        status="enrolled",
    )
    person = world.people[0]
    Entitlement.objects.filter(pk=world.entitlements[0].pk).update(run=run)
    batch = world.batch(run=run)
    assert batch.deadline == run.deadline
    assert [line.entitlement_id for line in lines_of(batch)] == [world.entitlements[0].pk]
    assert lines_of(batch).get().account.person == person


def test_bad_input_to_create_is_refused_naming_the_field(world):
    with pytest.raises(ValidationFailed) as exc:
        world.batch(name="  ")
    assert "name" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        world.batch(deadline=workdays.today() - timedelta(days=1))
    assert "发放截止" in exc.value.fields["deadline"]
    assert not PayoutBatch.objects.exists()


def test_build_crashing_half_way_and_run_again_neither_skips_nor_doubles_a_line(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 1)
    seen = []

    def crash(done, total):
        seen.append((done, total))
        if done == 2:
            raise RuntimeError("断电")

    with pytest.raises(RuntimeError):
        world.batch(progress=crash)
    batch = PayoutBatch.objects.get()
    assert not batch.built and batch.line_count == 2 and lines_of(batch).count() == 2
    # Run again: goes on from where it stopped.
    again = services.batch_build(actor=world.users.cy, batch=batch)
    assert again.built and again.line_count == 3 and again.total == 2_200_000
    assert sorted(lines_of(batch).values_list("entitlement_id", flat=True)) == sorted(
        e.pk for e in world.entitlements[:3]
    )
    # And again, on a finished batch: nothing to do.
    services.batch_build(actor=world.users.cy, batch=batch)
    assert lines_of(batch).count() == 3


def test_the_database_keeps_one_live_line_an_entitlement(world):
    batch = world.batch()
    line = lines_of(batch).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutLine.objects.create(
            batch=batch, entitlement=line.entitlement, account=line.account, amount=line.amount
        )


# --- Release -------------------------------------------------------------------------------


def test_release_is_maker_checker_and_needs_todays_prediction(world):
    batch = world.batch()
    with pytest.raises(ValidationFailed) as exc:
        services.batch_release(actor=world.checker, batch=batch)
    assert "预判" in exc.value.fields["prediction"]
    predict(batch, today=workdays.today() - timedelta(days=1))
    with pytest.raises(ValidationFailed) as exc:
        services.batch_release(actor=world.checker, batch=batch)
    assert "今日尚未预判" in exc.value.fields["prediction"]
    predict(batch)
    with pytest.raises(ValidationFailed) as exc:
        services.batch_release(actor=world.users.cy, batch=batch)  # its maker
    assert "编制人" in exc.value.fields["actor"]
    released = services.batch_release(actor=world.checker, batch=batch)
    assert released.status == "released" and released.released_at
    with pytest.raises(ValidationFailed):
        services.batch_release(actor=world.checker, batch=batch)  # once


def test_release_past_the_deadline_is_refused_naming_it(world):
    deadline = workdays.today() + timedelta(days=3)
    batch = world.batch(deadline=deadline)
    with time_machine.travel(deadline + timedelta(days=1)):
        predict(batch)
        with pytest.raises(ValidationFailed) as exc:
            services.batch_release(actor=world.checker, batch=batch)
    assert "发放截止" in exc.value.fields["deadline"]
    assert f"{deadline.month}月{deadline.day}日" in exc.value.fields["deadline"]
    assert PayoutBatch.objects.get(pk=batch.pk).status == "draft"


def test_a_line_that_an_alternative_pays_in_time_must_be_rerouted_first(world):
    batch = world.batch()
    first, second, _ = lines_of(batch)
    passbook = world.accounts[world.people[0].pk][1]
    predict(batch, {first: ("over_day", passbook, True)})
    with pytest.raises(ValidationFailed) as exc:
        services.batch_release(actor=world.checker, batch=batch)
    assert "改道" in exc.value.fields["lines"]
    # Without an alternative in time the line is only a warning: released.
    predict(batch, {first: ("over_day", passbook, False), second: ("locked", None, None)})
    readiness = services.release_check(batch, world.checker)
    assert readiness.ok and readiness.warnings == 2
    assert services.batch_release(actor=world.checker, batch=batch).status == "released"


def test_lines_added_after_the_prediction_ask_for_it_again(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 1)
    with pytest.raises(RuntimeError):
        world.batch(progress=lambda done, total: (_ for _ in ()).throw(RuntimeError()))
    batch = PayoutBatch.objects.get()
    predict(batch)
    services.batch_build(actor=world.users.cy, batch=batch)
    batch.refresh_from_db()
    assert batch.predicted_on is None
    with pytest.raises(ValidationFailed) as exc:
        services.batch_release(actor=world.checker, batch=batch)
    assert "prediction" in exc.value.fields


# --- Export --------------------------------------------------------------------------------


def test_export_sends_every_line_with_its_real_account_and_pays_it_on_the_ledger(world):
    batch, exported = world.exported()
    assert batch.status == "exported" and exported.lines == 3 and exported.total == 2_200_000
    rows = read_bank_file(exported.content)
    assert rows[0] == ["业务编号", "户名", "账号", "金额", "用途"]
    first = world.people[0]
    assert rows[1] == [
        world.entitlements[0].payment_id,
        first.name,
        world.accounts[first.pk][0].number,
        "5000.00",
        "春节慰问金",
    ]
    assert [r[3] for r in rows[1:]] == ["5000.00", "12000.00", "5000.00"]
    assert set(lines_of(batch).values_list("status", flat=True)) == {"sent"}
    pays = LedgerEntry.objects.filter(kind="pay", line__batch=batch)
    assert sorted(pays.values_list("amount", flat=True)) == [500_000, 500_000, 1_200_000]
    seal = events("funds.ledger.seal").get()
    assert json.loads(seal.body)["changes"]["count"][1] == 3
    # Kept: downloadable again, each download a recorded reveal.
    name, content = services.batch_file(
        actor=world.users.cy, batch=batch, attachment_id=exported.attachment.pk
    )
    assert content == exported.content and name == exported.filename
    assert events("pii.reveal").count() == 1
    with pytest.raises(ValidationFailed):  # nothing pending any more
        services.batch_export(actor=world.users.cy, batch=batch)


def test_export_needs_a_released_batch_and_the_right_to_see_account_numbers(world):
    batch = world.batch()
    with pytest.raises(ValidationFailed) as exc:
        services.batch_export(actor=world.users.cy, batch=batch)
    assert "审定" in exc.value.fields["batch"]
    with pytest.raises(NotFound):
        services.batch_export(actor=world.users.hd, batch=batch)  # another district
    with pytest.raises(NotFound):
        services.batch_export(actor=world.users.cy_grass, batch=batch)  # below the batch
    Role.objects.create(code="payer", name="出纳", permissions=["funds.view", "funds.pay"])
    payer = make_user("payer", world.tree.chaoyang, "payer")
    predict(batch)
    services.batch_release(actor=payer, batch=batch)
    with pytest.raises(Forbidden):  # funds.pay without people.view_pii
        services.batch_export(actor=payer, batch=batch)
    assert not LedgerEntry.objects.filter(kind="pay").exists()


# --- Returns -------------------------------------------------------------------------------


def returns_of(world, results):
    return return_file(
        [
            (world.entitlements[i].payment_id, result, reason, amount)
            for i, result, reason, amount in results
        ]
    )


def test_returns_pay_the_successes_and_queue_the_failures_with_their_reason(world):
    batch, _ = world.exported()
    data = returns_of(
        world,
        [
            (0, "成功", "", "5000.00"),
            (1, "失败", "Ⅱ类账户超过非绑定账户转入限额", "12000.00"),
            (2, "0000", "", ""),
        ],
    )
    imported = services.returns_import(
        actor=world.users.cy, batch=batch, filename="回盘.csv", data=data
    )
    assert (imported.paid, imported.failed, imported.unchanged, imported.again) == (2, 1, 0, False)
    first, second, third = lines_of(batch)
    assert first.status == third.status == "paid"
    assert second.status == "failed" and second.result_reason == "Ⅱ类账户超过非绑定账户转入限额"
    assert Entitlement.objects.get(pk=world.entitlements[0].pk).status == "paid"
    assert Entitlement.objects.get(pk=world.entitlements[1].pk).status == "batched"
    returned = LedgerEntry.objects.get(kind="return")
    assert (returned.line, returned.amount) == (second, -1_200_000)
    assert list(selectors.exception_queue(actor=world.users.cy)) == [second]
    # by pinyin and initials as by name (people.search), within the post's scope
    for q in ("laomo", "lm", "劳模1"):
        assert list(selectors.exception_queue(actor=world.users.cy, q=q)) == [second], q
    assert list(selectors.exception_queue(actor=world.users.hd, q="lm")) == []
    assert list(selectors.batch_lines(batch=batch, q="laomo")) == [first, second, third]
    assert list(selectors.batch_lines(batch=batch, q="劳模0")) == [first]
    batch.refresh_from_db()
    assert (batch.bank_count, batch.bank_total) == (2, 1_000_000)


def test_the_same_return_file_twice_changes_nothing(world):
    batch, _ = world.exported()
    data = returns_of(world, [(0, "成功", "", "5000.00"), (1, "失败", "账户已锁定", "")])
    services.returns_import(actor=world.users.cy, batch=batch, filename="a.csv", data=data)
    before = (LedgerEntry.objects.count(), AuditEvent.objects.count())
    again = services.returns_import(actor=world.users.cy, batch=batch, filename="a.csv", data=data)
    assert again.again and ReturnImport.objects.count() == 1
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == before
    # The same results in another file (the bank's full-day return): "unchanged" per line.
    data = returns_of(
        world, [(0, "成功", "", "5000.00"), (1, "失败", "账户已锁定", ""), (2, "成功", "", "")]
    )
    later = services.returns_import(actor=world.users.cy, batch=batch, filename="b.csv", data=data)
    assert (later.paid, later.failed, later.unchanged) == (1, 0, 2)
    assert LedgerEntry.objects.filter(kind="return").count() == 1


@pytest.mark.parametrize(
    "rows, says",
    [
        ([("FT999P0000000001", "成功", "", "")], "本批次没有这笔发放"),
        ([(0, "成功", "", "5000.005")], "金额"),
        ([(0, "成功", "", "5000.00"), (0, "成功", "", "5000.00")], "重复"),
        ([(0, "成功", "", "4999.00")], "金额不符"),
    ],
)
def test_a_bad_return_file_is_refused_whole_naming_the_rows(world, rows, says):
    batch, _ = world.exported()
    data = return_file(
        [
            (world.entitlements[r[0]].payment_id if isinstance(r[0], int) else r[0], *r[1:])
            for r in [*rows, (2, "成功", "", "5000.00")]
        ]
    )
    with pytest.raises(ValidationFailed) as exc:
        services.returns_import(actor=world.users.cy, batch=batch, filename="x.csv", data=data)
    assert says in exc.value.fields["file"] and "第 2 行" in exc.value.fields["file"]
    assert set(lines_of(batch).values_list("status", flat=True)) == {"sent"}  # nothing written
    assert not ReturnImport.objects.exists()


def test_a_result_against_a_settled_line_is_refused(world):
    batch, _ = world.exported()
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="a.csv",
        data=returns_of(world, [(0, "成功", "", ""), (1, "失败", "久悬户", "")]),
    )
    with pytest.raises(ValidationFailed) as exc:  # paid, now said failed
        services.returns_import(
            actor=world.users.cy,
            batch=batch,
            filename="b.csv",
            data=returns_of(world, [(0, "失败", "户名不符", "")]),
        )
    assert "已处理完毕" in exc.value.fields["file"]
    failed = lines_of(batch, status="failed").get()
    services.line_reissue(
        actor=world.users.cy,
        line=failed,
        account=account_for(failed.entitlement.person, kind="passbook", default=False),
        note="电话核实，改用存折",
    )
    with pytest.raises(ValidationFailed) as exc:  # re-issued, now said paid
        services.returns_import(
            actor=world.users.cy,
            batch=batch,
            filename="c.csv",
            data=returns_of(world, [(1, "成功", "", "")]),
        )
    assert "尚未报送" in exc.value.fields["file"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_gbk_or_utf8_return_file_is_read(world, encoding):
    batch, _ = world.exported()
    data = return_file(
        [(world.entitlements[1].payment_id, "失败", "Ⅱ类账户超过限额", "12000.00")],
        encoding=encoding,
    )
    services.returns_import(actor=world.users.cy, batch=batch, filename="r.csv", data=data)
    assert lines_of(batch, status="failed").get().result_reason == "Ⅱ类账户超过限额"


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\xff\xfe\x00\x81garbage", "编码"),
        (b"", "空"),
        ("业务编号,金额\r\nX,1.00\r\n".encode(), "缺少列"),
    ],
)
def test_a_malformed_return_file_is_refused(world, data, says):
    batch, _ = world.exported()
    with pytest.raises(ValidationFailed) as exc:
        services.returns_import(actor=world.users.cy, batch=batch, filename="x.csv", data=data)
    assert says in exc.value.fields["file"]


# --- Re-issue ------------------------------------------------------------------------------


def failed_batch(world):
    batch, _ = world.exported()
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="r.csv",
        data=returns_of(
            world,
            [(0, "失败", "账户已锁定", ""), (1, "成功", "", ""), (2, "成功", "", "")],
        ),
    )
    return batch, lines_of(batch, status="failed").get()


def test_reissue_to_the_passbook_supersedes_and_goes_in_a_supplementary_file(world):
    batch, failed = failed_batch(world)
    passbook = world.accounts[world.people[0].pk][1]
    new = services.line_reissue(
        actor=world.users.cy, line=failed, account=passbook, note="改用存折"
    )
    failed.refresh_from_db()
    assert failed.status == "superseded" and new.supersedes == failed and new.status == "pending"
    assert list(selectors.exception_queue(actor=world.users.cy)) == []
    supplementary = services.batch_export(actor=world.users.cy, batch=batch)
    rows = read_bank_file(supplementary.content)
    assert rows[1][0] == world.entitlements[0].payment_id  # the same payment identity
    assert rows[1][2] == passbook.number and len(rows) == 2
    assert "补充" in supplementary.filename
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="r2.csv",
        data=returns_of(world, [(0, "成功", "", "5000.00")]),
    )
    new.refresh_from_db()
    assert new.status == "paid"
    assert Entitlement.objects.get(pk=world.entitlements[0].pk).status == "paid"
    net = sum(
        LedgerEntry.objects.filter(entitlement=world.entitlements[0])
        .exclude(kind="commit")
        .values_list("amount", flat=True)
    )
    assert net == 500_000  # paid once: sent, returned, sent again


def test_cash_needs_a_signed_receipt_and_is_paid_at_once(world):
    batch, failed = failed_batch(world)
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(actor=world.users.cy, line=failed, cash=True, note="上门送达")
    assert "签收单" in exc.value.fields["receipt"]
    assert PayoutLine.objects.get(pk=failed.pk).status == "failed"  # nothing half-written
    new = services.line_reissue(
        actor=world.users.cy, line=failed, cash=True, receipt=receipt(), note="上门送达"
    )
    assert (new.method, new.status, new.account) == ("cash", "paid", None)
    assert LedgerEntry.objects.get(kind="pay", line=new).amount == 500_000
    assert Entitlement.objects.get(pk=failed.entitlement_id).status == "paid"
    assert events("funds.line_cash").count() == 1 and events("files.add").count() == 2


def test_reissue_refuses_what_is_not_a_failed_line_or_not_the_payees_account(world):
    batch, failed = failed_batch(world)
    paid = lines_of(batch, status="paid").first()
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(
            actor=world.users.cy, line=paid, account=paid.account, note="再发一次"
        )
    assert "line" in exc.value.fields
    stranger = world.accounts[world.people[1].pk][0]
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(actor=world.users.cy, line=failed, account=stranger, note="x")
    assert "本人" in exc.value.fields["account"]
    locked = account_for(world.people[0], kind="bank_card", default=False, status="locked")
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(actor=world.users.cy, line=failed, account=locked, note="x")
    assert "锁定" in exc.value.fields["account"]
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(actor=world.users.cy, line=failed, account=None, note="x")
    assert "account" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.line_reissue(
            actor=world.users.cy, line=failed, account=world.accounts[world.people[0].pk][1]
        )
    assert "note" in exc.value.fields
    passbook = world.accounts[world.people[0].pk][1]
    services.line_reissue(actor=world.users.cy, line=failed, account=passbook, note="改用存折")
    with pytest.raises(ValidationFailed):  # once
        services.line_reissue(
            actor=world.users.cy, line=failed, cash=True, receipt=receipt(), note="x"
        )
    assert lines_of(batch, entitlement=failed.entitlement).count() == 2


def test_another_district_cannot_reissue_nor_see_the_queue(world):
    _, failed = failed_batch(world)
    with pytest.raises(NotFound):
        services.line_reissue(
            actor=world.users.hd, line=failed, cash=True, receipt=receipt(), note="x"
        )
    assert list(selectors.exception_queue(actor=world.users.hd)) == []
    with pytest.raises(NotFound):
        selectors.line_get(actor=world.users.hd, pk=failed.pk)


# --- Reconciliation ------------------------------------------------------------------------


def test_reconciliation_lists_differences_until_everything_is_paid(world):
    batch, failed = failed_batch(world)
    found = services.batch_reconcile(
        actor=world.users.cy, batch=batch, bank_count=2, bank_total=1_700_000
    )
    assert not found.settled
    assert any("尚未改道重发" in d for d in found.differences)
    found = services.batch_reconcile(
        actor=world.users.cy, batch=batch, bank_count=3, bank_total=1_700_000
    )
    assert any("银行成功笔数 3" in d for d in found.differences)
    services.line_reissue(
        actor=world.users.cy, line=failed, cash=True, receipt=receipt(), note="上门送达"
    )
    wrong = services.batch_reconcile(
        actor=world.users.cy, batch=batch, bank_count=2, bank_total=1_699_999
    )
    assert [d for d in wrong.differences if "金额" in d]
    assert PayoutBatch.objects.get(pk=batch.pk).status == "exported"
    done = services.batch_reconcile(
        actor=world.users.cy, batch=batch, bank_count=2, bank_total=1_700_000
    )
    assert done.settled and done.differences == []
    assert done.figures.paid_total == 2_200_000 == done.figures.ledger_net
    batch.refresh_from_db()
    assert batch.status == "settled" and batch.settled_at
    assert events("funds.batch_reconcile").count() == 4
    with pytest.raises(ValidationFailed):
        services.batch_reconcile(actor=world.users.cy, batch=batch)


def test_reconciliation_from_the_imported_returns(world):
    batch, _ = world.exported()
    services.returns_import(
        actor=world.users.cy,
        batch=batch,
        filename="r.csv",
        data=returns_of(world, [(0, "成功", "", ""), (1, "成功", "", ""), (2, "成功", "", "")]),
    )
    done = services.batch_reconcile(actor=world.users.cy, batch=batch)
    assert done.settled and (done.bank_count, done.bank_total) == (3, 2_200_000)


def test_a_fresh_batch_is_not_reconciled(world):
    batch = world.batch()
    with pytest.raises(ValidationFailed) as exc:
        services.batch_reconcile(actor=world.users.cy, batch=batch, bank_count=0, bank_total=0)
    assert "尚未报送" in exc.value.fields["batch"]
    with pytest.raises(ValidationFailed) as exc:
        services.batch_reconcile(actor=world.users.cy, batch=batch, bank_count=-1, bank_total=0)
    assert "bank_count" in exc.value.fields


def test_an_entitlement_approved_after_the_batch_was_made_waits_for_the_next(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 1)
    with pytest.raises(RuntimeError):
        world.batch(progress=lambda done, total: (_ for _ in ()).throw(RuntimeError()))
    batch = PayoutBatch.objects.get()
    late = make_member(world.tree.cy_grass, "后批准")
    account_for(late)
    entitlement = owe(world.funds.condolence, late, 500_000)
    services.batch_build(actor=world.users.cy, batch=batch)
    assert not lines_of(batch, entitlement=entitlement).exists()
    assert lines_of(batch).count() == 3
    assert world.batch(name="下一批").line_count == 1
