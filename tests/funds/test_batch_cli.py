"""``gonghui funds batch create|predict|export|import-returns|reconcile`` (issue #18, 7): a
batch end to end from the command line, and a create that crashes half way, run again,
neither skips nor doubles a line."""

import sys
import types

import pytest
from django.core.management import CommandError, call_command

from gonghui.funds.management.commands import funds as command
from gonghui.funds.models import PayoutBatch, PayoutLine
from gonghui.funds.payouts import services
from tests.funds.test_payouts_world import (  # noqa: F401  (world_fixture: the fixture)
    predict,
    read_bank_file,
    return_file,
    world_fixture,
)

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("funds", "batch", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def stand_in_prediction(monkeypatch):
    """The accounts feature's ``batch_predict`` (another branch): every line fine."""
    module = types.ModuleType("gonghui.funds.accounts.services")

    def batch_predict(*, actor, batch, today=None, progress=None):
        predict(batch)
        n = batch.lines.filter(status="pending").count()
        if progress:
            progress(n, n)
        return {"ok": n}

    module.batch_predict = batch_predict
    monkeypatch.setitem(sys.modules, "gonghui.funds.accounts.services", module)


CREATE = ("create", "--programme", "spring", "--org-unit", "110105", "--name", "春节慰问金")


def test_a_batch_from_create_to_reconcile(world, tmp_path, stand_in_prediction):
    said = run(*CREATE, "--user", "cy_staff")
    batch = PayoutBatch.objects.get()
    assert "3 笔" in said and "15,000.00元" not in said and "22,000.00元" in said
    assert "正常\t3" in run("predict", str(batch.pk), "--user", "cy_staff")
    with pytest.raises(CommandError, match="尚未审定"):  # released on the page, by another
        run("export", str(batch.pk), "--user", "cy_staff", "--out", str(tmp_path / "x.csv"))
    services.batch_release(actor=world.checker, batch=batch)
    out = tmp_path / "bank.csv"
    assert "3 笔" in run("export", str(batch.pk), "--user", "cy_staff", "--out", str(out))
    rows = read_bank_file(out.read_bytes())
    returns = tmp_path / "returns.csv"
    returns.write_bytes(
        return_file([(row[0], "成功", "", row[3]) for row in rows[1:]], encoding="gbk")
    )
    assert "成功 3 笔" in run("import-returns", str(batch.pk), str(returns), "--user", "cy_staff")
    assert "导入过" in run("import-returns", str(batch.pk), str(returns), "--user", "cy_staff")
    with pytest.raises(CommandError, match="差异"):
        run(
            "reconcile",
            str(batch.pk),
            "--user",
            "cy_staff",
            "--bank-count",
            "3",
            "--bank-total",
            "1.00",
        )
    assert "对账完毕" in run(
        "reconcile",
        str(batch.pk),
        "--user",
        "cy_staff",
        "--bank-count",
        "3",
        "--bank-total",
        "22000",
    )
    assert PayoutBatch.objects.get().status == "settled"


def test_create_crashing_half_way_then_run_again_continues(world, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 1)
    calls = []
    original = command.Progress.__call__

    def crash(self, done, total):
        calls.append(done)
        original(self, done, total)
        if done == 2 and len(calls) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or the machine going down

    monkeypatch.setattr(command.Progress, "__call__", crash)
    with pytest.raises(KeyboardInterrupt):
        run(*CREATE, "--user", "cy_staff")
    batch = PayoutBatch.objects.get()
    assert not batch.built and PayoutLine.objects.count() == 2
    said = run(*CREATE, "--user", "cy_staff")  # the same command again
    assert PayoutBatch.objects.count() == 1
    batch.refresh_from_db()
    assert batch.built and "3 笔" in said
    assert sorted(PayoutLine.objects.values_list("entitlement_id", flat=True)) == sorted(
        e.pk for e in world.entitlements[:3]
    )


def test_bad_arguments_say_what_is_wrong(world, tmp_path):
    with pytest.raises(CommandError, match="没有名为"):
        run(*CREATE, "--user", "nobody")
    with pytest.raises(CommandError, match="没有代码为 nope"):
        run(
            "create",
            "--programme",
            "nope",
            "--org-unit",
            "110105",
            "--name",
            "x",
            "--user",
            "cy_staff",
        )
    with pytest.raises(CommandError, match="--deadline"):
        run(*CREATE, "--deadline", "2026-13-01", "--user", "cy_staff")
    with pytest.raises(CommandError, match="找不到文件"):
        run("import-returns", "1", str(tmp_path / "none.csv"), "--user", "cy_staff")
    with pytest.raises(CommandError, match="没有编号为 99"):
        run("reconcile", "99", "--user", "cy_staff")
    with pytest.raises(CommandError):  # another district's staff: the batch is not theirs
        run(*CREATE, "--user", "hd_staff")
    run(*CREATE, "--user", "cy_staff")
    batch = PayoutBatch.objects.get()
    with pytest.raises(CommandError, match="两位小数"):
        run(
            "reconcile",
            str(batch.pk),
            "--user",
            "cy_staff",
            "--bank-count",
            "1",
            "--bank-total",
            "1.001",
        )
