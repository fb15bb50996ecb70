"""A payout batch's figures (issue #18, figure 2): a batch of 100,000 lines (full scale;
10,000 at small) of one Spring Festival run, each payee with a union card (encrypted number,
as the platform keeps it).

- **predict**: the accounts feature's ``batch_predict`` over the batch, against reading the
  same lines (payment id, amount, account id) as a CSV file with the csv module alone;
- **export**: ``batch_export`` (the lines read with their decrypted account numbers, the
  bank file written, every line sent, a ``pay`` ledger row a line, the rows sealed, the file
  kept), against writing the same rows with the csv module alone;
- **returns**: ``returns_import`` of the bank's return file for every line (one in fifty
  failed), against reading that file with the csv module alone.

Each figure is measured once on its own batch (each call changes its batch for good: the
ledger is append-only), and its csv side right beside it, the better of three. Building the
batch (``batch_create``, resumable chunks) is printed for comparison.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from measure import comparison, figure, make_user, note

from gonghui.common import money, workdays
from gonghui.funds.models import (
    Budget,
    Entitlement,
    PayeeAccount,
    PayoutBatch,
    PayoutLine,
    Programme,
    RuleVersion,
    Run,
)
from gonghui.funds.payouts import services
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person

TARGET = 5.0


@dataclass(frozen=True)
class Scale:
    lines: int


SCALES = {"small": Scale(lines=10_000), "full": Scale(lines=100_000)}


def run(scale_name: str) -> Iterator[str]:
    scale = SCALES[scale_name]
    district = OrgUnit.objects.get(code="110105")
    maker = make_user("bench_maker", district, "district_staff")
    checker = make_user("bench_checker", district, "district_staff")
    programme = Programme.objects.create(
        code="spring", name="春节慰问金", kind="condolence", entry="enrol", org_unit=district
    )
    rule = RuleVersion.objects.create(
        programme=programme, version=1, rule={"kind": "fixed", "amount": 500_000}
    )
    budget = Budget.objects.create(
        programme=programme, org_unit=district, year=2026, amount=10**14, committed=0
    )
    started = time.perf_counter()
    people = make_payees(district, scale.lines)
    note(f"{scale.lines} payees with a union card each: {time.perf_counter() - started:.1f}s")

    batches = []
    for round_ in ("predict", "export", "returns"):
        run_ = make_run(programme, district, rule, budget, people, round_)
        started = time.perf_counter()
        batch = services.batch_create(
            actor=maker, programme=programme, org_unit=district, name=f"压测 {round_}", run=run_
        )
        built = time.perf_counter() - started
        batches.append(batch)
        note(f"batch {round_}: {batch.line_count} lines built in {built:.2f}s")
    yield comparison("funds_batch.build", built, "s", "us_per_line", built / scale.lines * 1e6)

    yield from predict_figure(maker, batches[0])
    for batch in batches[1:]:
        # The prediction is the accounts feature's (measured above): these batches skip it.
        PayoutBatch.objects.filter(pk=batch.pk).update(predicted_on=workdays.today())
        batch.refresh_from_db()
        services.batch_release(actor=checker, batch=batch, today=batch.predicted_on)
    content = yield from export_figure(maker, batches[1])
    yield from returns_figure(maker, batches[2])
    del content


# --- Data ----------------------------------------------------------------------------------


def make_payees(unit: OrgUnit, count: int) -> list[int]:
    Person.objects.bulk_create(
        [Person(name=f"劳模{i}", org_unit=unit, no_id_reason="压测数据") for i in range(count)],
        batch_size=5000,
    )
    people = list(Person.objects.filter(org_unit=unit).order_by("id").values_list("id", flat=True))
    PayeeAccount.objects.bulk_create(
        [
            PayeeAccount(
                person_id=p,
                kind="union_card",
                account_class="I",
                bank="北京银行",
                number=f"6222{p:012d}",
                is_default=True,
                last_activity=date.today() - timedelta(days=30),
            )
            for p in people
        ],
        batch_size=5000,
    )
    return people


def make_run(programme, unit, rule, budget, people, name) -> Run:
    run_ = Run.objects.create(
        programme=programme,
        org_unit=unit,
        name=f"压测 {name}",
        year=2026,
        deadline=date.today() + timedelta(days=60),
        status="enrolled",
        rule_version=rule,
    )
    Entitlement.objects.bulk_create(
        [
            Entitlement(
                programme=programme,
                budget=budget,
                person_id=p,
                org_unit=unit,
                run=run_,
                year=2026,
                amount=500_000 + (p % 7) * 100_000,
                rule_version=rule,
                payment_id=f"FR{run_.pk:05d}P{p:010d}",
            )
            for p in people
        ],
        batch_size=5000,
    )
    return run_


def best_of(call, reps: int = 3) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


# --- Figures -------------------------------------------------------------------------------


def predict_figure(actor, batch) -> Iterator[str]:
    try:
        from gonghui.funds.accounts.services import batch_predict
    except ImportError:
        note(
            "predict: gonghui.funds.accounts.services.batch_predict is not here (the accounts "
            "feature's branch): no figure"
        )
        yield "funds_batch.predict missing (accounts feature not merged) SHORT"
        return
    lines = list(
        PayoutLine.objects.filter(batch=batch).values_list(
            "entitlement__payment_id", "amount", "account_id"
        )
    )
    data = _csv(("payment", "amount", "account"), lines)
    started = time.perf_counter()
    batch_predict(actor=actor, batch=batch)
    took = time.perf_counter() - started
    baseline = best_of(lambda: list(csv.reader(io.StringIO(data))))
    note(f"predict {took:.2f}s; csv read of the same {len(lines)} lines {baseline * 1000:.0f} ms")
    yield figure("funds_batch.predict", took, "s", "ratio_to_csv_read", took / baseline, TARGET)


def export_figure(actor, batch) -> Iterator[str]:
    started = time.perf_counter()
    exported = services.batch_export(actor=actor, batch=batch)
    took = time.perf_counter() - started
    layout = settings.FUNDS_BANK_LAYOUT["export"]
    rows = list(csv.reader(io.StringIO(exported.content.decode(layout["encoding"]))))

    def write():
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(rows)
        return out.getvalue().encode(layout["encoding"])

    baseline = best_of(write)
    rows_db = best_of(
        lambda: list(
            PayoutLine.objects.filter(batch=batch)
            .order_by("pk")
            .values_list(
                "entitlement__payment_id", "entitlement__person__name", "account__number", "amount"
            )
        )
    )
    yield comparison(
        "funds_batch.export_vs_db_read_and_csv",
        took,
        "s",
        "ratio_to_db_read_plus_csv_write",
        took / (rows_db + baseline),
    )
    note(
        f"export {took:.2f}s ({exported.lines} lines, {len(exported.content) / 1e6:.1f} MB, "
        f"{connection.vendor}); csv write of the same rows {baseline * 1000:.0f} ms"
    )
    yield figure("funds_batch.export", took, "s", "ratio_to_csv_write", took / baseline, TARGET)
    return exported.content


def returns_figure(actor, batch) -> Iterator[str]:
    services.batch_export(actor=actor, batch=batch)
    lines = list(
        PayoutLine.objects.filter(batch=batch).values_list("entitlement__payment_id", "amount")
    )
    rows = [
        (payment, "失败", "账户已锁定", money.yuan(amount))
        if i % 50 == 0
        else (payment, "成功", "", money.yuan(amount))
        for i, (payment, amount) in enumerate(lines)
    ]
    data = _csv(("业务编号", "处理结果", "失败原因", "金额"), rows).encode("gbk")
    floor = _returns_floor(batch)
    started = time.perf_counter()
    imported = services.returns_import(actor=actor, batch=batch, filename="回盘.csv", data=data)
    took = time.perf_counter() - started
    baseline = best_of(lambda: list(csv.reader(io.StringIO(data.decode("gbk")))))
    note(
        f"returns {took:.2f}s (paid {imported.paid}, failed {imported.failed}); "
        f"csv read of the same file {baseline * 1000:.0f} ms"
    )
    yield comparison(
        "funds_batch.returns_vs_floor",
        took,
        "s",
        "ratio_to_csv_read_plus_bare_updates",
        took / (baseline + floor),
    )
    note(
        f"the floor: the two bare UPDATEs any import must make (lines and entitlements "
        f"paid), rolled back, {floor:.2f}s = {floor / baseline:.1f}x the csv read alone"
    )
    yield figure("funds_batch.returns", took, "s", "ratio_to_csv_read", took / baseline, TARGET)


def _returns_floor(batch) -> float:
    """What any return import must write, timed and rolled back: one bare UPDATE marking the
    batch's lines paid and one marking their entitlements paid (no reading, no checks)."""
    with transaction.atomic():
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE funds_payoutline SET status = 'paid' WHERE batch_id = %s", [batch.pk]
            )
            cursor.execute(
                "UPDATE funds_entitlement SET status = 'paid' WHERE id IN "
                "(SELECT entitlement_id FROM funds_payoutline WHERE batch_id = %s)",
                [batch.pk],
            )
        took = time.perf_counter() - started
        transaction.set_rollback(True)
    return took


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
