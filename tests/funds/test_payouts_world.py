"""What the payouts tests build on (no tests here): owed entitlements of the seeds'
programmes with their commitments, payees with accounts, and a stand-in for the accounts
feature's prediction (``gonghui.funds.accounts.services.batch_predict`` is written on
another branch: here the lines' verdicts are set as it would set them)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.common import workdays
from gonghui.funds import ledger
from gonghui.funds.models import Entitlement, PayeeAccount, PayoutBatch, PayoutLine, RuleVersion
from gonghui.funds.payouts import services
from tests.factories import make_member, make_user
from tests.funds.conftest import YEAR

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a signed receipt's scan, as far as sniffing goes
_numbers = iter(range(6_222_000_000_001, 6_222_000_999_999))


def account_for(person, *, kind="union_card", cls="I", default=True, status="active", **extra):
    return PayeeAccount.objects.create(
        person=person,
        kind=kind,
        account_class="" if kind == "passbook" else cls,
        bank="中国工商银行北京分行",
        number=str(next(_numbers)),
        is_default=default,
        status=status,
        **extra,
    )


def owe(programme, person, amount, *, org_unit=None, run=None, actor=None):
    """An owed entitlement with its commitment, as an approval (or enrolment) leaves it."""
    org_unit = org_unit or person.org_unit
    budget = ledger.budget_for(programme, org_unit, YEAR)
    entitlement = Entitlement.objects.create(
        programme=programme,
        budget=budget,
        person=person,
        org_unit=org_unit,
        run=run,
        year=YEAR,
        amount=amount,
        rule_version=RuleVersion.objects.filter(programme=programme).latest("version"),
        payment_id=f"FT{programme.pk:03d}P{person.pk:010d}",
    )
    ledger.commit(actor=actor, budget=budget, amount=amount, entitlement=entitlement)
    return entitlement


def predict(batch, verdicts=None, today=None):
    """The stand-in for ``accounts.services.batch_predict``: every pending line fine but
    those in ``verdicts`` (line → (reason, alternative account or None, in_time))."""
    verdicts = verdicts or {}
    PayoutLine.objects.filter(batch=batch, status="pending").update(
        prediction="", alternative=None, in_time=None
    )
    for line, (reason, alternative, in_time) in verdicts.items():
        PayoutLine.objects.filter(pk=line.pk).update(
            prediction=reason, alternative=alternative, in_time=in_time
        )
    PayoutBatch.objects.filter(pk=batch.pk).update(predicted_on=today or workdays.today())
    batch.refresh_from_db()


def return_file(rows, *, encoding="utf-8", header=("业务编号", "处理结果", "失败原因", "金额")):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def read_bank_file(content: bytes) -> list[list[str]]:
    encoding = settings.FUNDS_BANK_LAYOUT["export"]["encoding"]
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def receipt():
    return SimpleUploadedFile("签收单.png", PNG, "image/png")


@dataclass
class World:
    tree: object
    users: object
    funds: object
    checker: object  # a second Chaoyang payer: releases what cy made
    people: list = field(default_factory=list)
    accounts: dict = field(default_factory=dict)
    entitlements: list = field(default_factory=list)

    def batch(self, actor=None, **kwargs):
        kwargs.setdefault("programme", self.funds.condolence)
        kwargs.setdefault("org_unit", self.tree.chaoyang)
        kwargs.setdefault("name", "2026年春节慰问金")
        return services.batch_create(actor=actor or self.users.cy, **kwargs)

    def released(self, **kwargs):
        batch = self.batch(**kwargs)
        predict(batch)
        return services.batch_release(actor=self.checker, batch=batch)

    def exported(self, **kwargs):
        batch = self.released(**kwargs)
        result = services.batch_export(actor=self.users.cy, batch=batch)
        batch.refresh_from_db()
        return batch, result


@pytest.fixture(name="world")
def world_fixture(tree, users, funds, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(tree, users, funds)


def seed_funds(tree):
    """The seeds' programmes as ``tests/funds/conftest.py``'s ``funds`` fixture makes them
    (for tests outside tests/funds, e.g. the audit log's scenarios)."""
    from tests.funds import conftest

    return conftest.Funds(
        certificate=conftest.make_programme(
            "cert",
            "技能等级证书补贴",
            "certificate",
            tree.city,
            conftest.CERTIFICATE_RULE,
            levels=3,
            budget=100_000_000,
        ),
        illness=conftest.make_programme(
            "illness", "大病救助", "illness", tree.city, conftest.ILLNESS_RULE, budget=100_000_000
        ),
        condolence=conftest.make_programme(
            "spring",
            "春节慰问金",
            "condolence",
            tree.chaoyang,
            conftest.CONDOLENCE_RULE,
            entry="enrol",
            budget=50_000_000,
        ),
        studio=conftest.make_programme(
            "studio",
            "创新工作室资助",
            "studio",
            tree.city,
            conftest.STUDIO_RULE,
            budget=100_000_000,
        ),
    )


def build_world(tree, users, funds) -> World:
    """Three Chaoyang payees with a union card each (and a passbook for the first) owed the
    Spring Festival condolence money; one Haidian payee owed a certificate subsidy; one
    Chaoyang payee without any account."""
    w = World(tree, users, funds, make_user("cy_checker", tree.chaoyang, "district_staff"))
    for i, amount in enumerate((500_000, 1_200_000, 500_000)):
        person = make_member(tree.cy_grass, f"劳模{i}")
        w.people.append(person)
        w.accounts[person.pk] = [account_for(person)]
        w.entitlements.append(owe(funds.condolence, person, amount))
    first = w.people[0]
    w.accounts[first.pk].append(account_for(first, kind="passbook", default=False))
    w.nobody = make_member(tree.cy_grass, "无账户")
    w.entitlements.append(owe(funds.condolence, w.nobody, 500_000))
    w.haidian = make_member(tree.hd_grass, "海淀技师")
    w.accounts[w.haidian.pk] = [account_for(w.haidian)]
    w.hd_entitlement = owe(funds.certificate, w.haidian, 100_000)
    return w
