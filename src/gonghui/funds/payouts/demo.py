"""The payouts part of the funds demo (see funds/demo.py), through the services, each step
at its own date (the services' clock set back, as the contests and perks demos replay
theirs: ``common.demo.as_of``):

- the 2026 Spring Festival batch of Chaoyang's condolence money end to end before its
  deadline: built, predicted (the elder's Ⅱ类 card over its daily limit, the dormant
  member's locked card; passbooks proposed, in time), re-routed, released by a second
  person, exported, the bank's returns imported (all paid), reconciled;
- the 2018 critical-illness batch (41 members, 528,000元), settled;
- a current certificate-subsidy batch whose bank return failed two lines: one re-issued to
  another account (pending, in the next supplementary file), one paid in cash against a
  signed receipt;
- the 2027 Spring Festival batch drafted and predicted.

Reads from ``world`` (contracts): ``programmes``, ``staff``, ``spring_2026``,
``spring_2027``, ``illness_2018``, ``approved``; leaves ``world.batches`` (name → batch).
Prediction and re-routing are the accounts feature's services (``batch_predict``,
``batch_reroute``)."""

from __future__ import annotations

import csv
import io
import struct
import zlib
from datetime import date, timedelta

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gonghui.common import workdays
from gonghui.common.demo import as_of, at
from gonghui.funds.models import Entitlement, PayeeAccount, PayoutBatch
from gonghui.funds.payouts import services


def _workday_before(day: date, days: int) -> date:
    """A working day about ``days`` before ``day``."""
    day -= timedelta(days=days)
    while not workdays.is_workday(day):
        day -= timedelta(days=1)
    return day


def _receipt_scan() -> SimpleUploadedFile:
    """A signed receipt's scan (a small grey PNG: the demo's stand-in for the photo)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = 64, 40
    raw = b"".join(b"\x00" + b"\xc8" * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("现金发放签收单.png", png, "image/png")


def _returns(content: bytes, failures: dict[str, str] | None = None) -> bytes:
    """The bank's return file for an exported file: every line paid but ``failures``
    (payment id → the bank's reason)."""
    failures = failures or {}
    encoding = settings.FUNDS_BANK_LAYOUT["export"]["encoding"]
    rows = list(csv.reader(io.StringIO(content.decode(encoding))))[1:]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["业务编号", "处理结果", "失败原因", "金额"])
    for row in rows:
        payment, amount = row[0], row[3]
        if payment in failures:
            writer.writerow([payment, "失败", failures[payment], amount])
        else:
            writer.writerow([payment, "成功", "", amount])
    return out.getvalue().encode("gbk")


def _accounts_feature():
    try:
        from gonghui.funds.accounts.services import batch_predict, batch_reroute
    except ImportError:
        return None
    return batch_predict, batch_reroute


def build(world, fake, rng) -> None:
    say = getattr(world, "say", lambda text: None)
    world.batches = {}
    feature = _accounts_feature()
    if feature is None or not hasattr(world, "programmes") or not hasattr(world, "staff"):
        say("资金发放：失败预判（收款账户功能）或前序演示数据缺失，跳过发放批次")
        return
    predict, reroute = feature
    staff = world.staff
    district, city, checker = staff["chaoyang"], staff["laomo"], staff["admin"]
    programmes = world.programmes

    def settle(batch, maker, day, *, failures=None, reconcile=True):
        """Predict, re-route, release (by the checker), export; the next working day the
        bank's returns, then reconciliation."""
        with as_of(at(day, 9, 30)):
            counts = predict(actor=maker, batch=batch)
            if batch.lines.filter(status="pending", alternative__isnull=False).exists():
                reroute(actor=maker, batch=batch)  # every proposal taken, predicted again
            if set(counts) - {"ok"}:
                say(f"资金发放：{batch.name} 失败预判 {counts}，已改道")
        with as_of(at(day, 10, 30)):
            services.batch_release(actor=checker, batch=batch)
        with as_of(at(day, 11)):
            exported = services.batch_export(actor=maker, batch=batch)
        back = min(workdays.add_workdays(day + timedelta(days=1), 1), workdays.today())
        with as_of(at(back, 15)):
            services.returns_import(
                actor=maker,
                batch=batch,
                filename=f"回盘-{batch.pk}-{back:%Y%m%d}.csv",
                data=_returns(exported.content, failures(exported) if failures else None),
            )
            if reconcile:
                services.batch_reconcile(actor=maker, batch=batch)
        batch.refresh_from_db()
        return batch

    # The 2026 Spring Festival condolence money, before the last working day before it.
    run = getattr(world, "spring_2026", None)
    if run is not None:
        day = _workday_before(run.deadline, 7)
        enrolled = max((e.created_at for e in run.entitlements.all()), default=at(day, 0))
        if timezone.localtime(enrolled).date() >= day:  # enrolled late: the day after
            day = workdays.add_workdays(timezone.localtime(enrolled).date() + timedelta(days=1), 1)
        with as_of(at(day, 9)):
            batch = services.batch_create(
                actor=district,
                programme=run.programme,
                org_unit=run.org_unit,
                name="2026年春节慰问金",
                run=run,
            )
        world.batches["spring_2026"] = settle(batch, district, day)
        say(f"资金发放：{batch.name} {batch.line_count} 笔，已对账")

    # The 2018 critical-illness aid: 41 members, 528,000元.
    illness_2018 = list(getattr(world, "illness_2018", []) or [])
    if illness_2018:
        made = max(e.created_at for e in illness_2018)
        day = timezone.localtime(made).date() + timedelta(days=14)
        while not workdays.is_workday(day):
            day += timedelta(days=1)
        with as_of(at(day, 9)):
            batch = services.batch_create(
                actor=city,
                programme=programmes["illness"],
                org_unit=programmes["illness"].org_unit,
                name="2018年大病救助发放",
            )
        world.batches["illness_2018"] = settle(batch, city, day)
        say(f"资金发放：{batch.name} {batch.line_count} 笔，已对账")

    # A current certificate batch: two lines returned failed, one re-issued to another
    # account, one paid in cash.
    cert = programmes.get("cert")
    if cert is not None and Entitlement.objects.filter(programme=cert, status="owed").exists():
        today = workdays.today()
        latest = Entitlement.objects.filter(programme=cert, status="owed").latest("created_at")
        day = max(_workday_before(today, 10), timezone.localtime(latest.created_at).date())
        with as_of(max(at(day, 9), latest.created_at + timedelta(seconds=1))):
            batch = services.batch_create(
                actor=city,
                programme=cert,
                org_unit=cert.org_unit,
                name=f"{today.year}年技能等级证书补贴（第一批）",
            )
        if batch.line_count >= 2:

            def failures(exported):
                encoding = settings.FUNDS_BANK_LAYOUT["export"]["encoding"]
                rows = list(csv.reader(io.StringIO(exported.content.decode(encoding))))[1:]
                picked = rng.sample(rows, 2)
                return {picked[0][0]: "户名与账号不符", picked[1][0]: "账户已销户"}

            batch = settle(batch, city, day, failures=failures, reconcile=False)
            first, second = batch.lines.filter(status="failed").order_by("pk")
            other = (
                PayeeAccount.objects.filter(person_id=first.entitlement.person_id, status="active")
                .exclude(pk=first.account_id)
                .first()
            ) or first.account
            back = min(workdays.add_workdays(day + timedelta(days=2), 1), today)
            with as_of(at(back, 16)):
                services.line_reissue(
                    actor=city,
                    line=first,
                    account=other,
                    note="与收款人电话核实户名，改用其本人的另一账户，随补充文件报送",
                )
                services.line_reissue(
                    actor=city,
                    line=second,
                    cash=True,
                    receipt=_receipt_scan(),
                    note="原账户已销户，工会上门送达现金，本人签收",
                )
            world.batches["cert"] = batch
            say(f"资金发放：{batch.name} 2 笔退回：1 笔改道待报送，1 笔现金签收")

    # The 2027 Spring Festival batch: drafted and predicted.
    run = getattr(world, "spring_2027", None)
    if run is not None:
        batch = services.batch_create(
            actor=district,
            programme=run.programme,
            org_unit=run.org_unit,
            name="2027年春节慰问金",
            run=run,
        )
        predict(actor=district, batch=batch)
        world.batches["spring_2027"] = PayoutBatch.objects.get(pk=batch.pk)
        say(f"资金发放：{batch.name} 已编制并完成失败预判，待改道与审定")
