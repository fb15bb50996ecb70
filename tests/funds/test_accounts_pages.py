"""The payee-account and prediction pages: who sees what (a district never another's
payees, nor their batches), numbers masked unless revealed by a post allowed to (and that
reveal audited), forms that say what is wrong beside the field, the member's own accounts
on a phone, and no page that fails for any role."""

import pytest
from django.urls import reverse

from gonghui.audit.models import AuditEvent
from gonghui.funds.accounts.services import account_add, batch_predict
from gonghui.funds.models import PayeeAccount, PayoutLine
from tests.factories import make_member, make_user
from tests.funds.test_prediction_batch import (
    TODAY,
    YUAN,
    card_number,
    make_account,
    make_batch,
    pay_line,
)

pytestmark = pytest.mark.django_db

CARD = "6217000010000000003"


@pytest.fixture
def world(funds, tree, users):
    """A Chaoyang payee (the elder: a Ⅱ类 union card and a passbook) in a draft batch of
    Chaoyang's Spring Festival money, and a Haidian payee with a card."""
    elder = make_member(tree.cy_grass, "高秀兰", username="gaoxl")
    card = account_add(
        actor=users.cy,
        person=elder,
        kind="union_card",
        account_class="II",
        bank="北京银行",
        number=CARD,
    )
    passbook = make_account(elder, kind="passbook", bank="北京农商银行")
    batch = make_batch(funds.condolence)
    line = pay_line(batch, elder, card, 12_000 * YUAN)
    far = make_member(tree.hd_grass, "王五")
    make_account(far)
    users.member = elder.user
    return {
        "elder": elder,
        "card": card,
        "passbook": passbook,
        "batch": batch,
        "line": line,
        "far": far,
    }


def pages(world):
    elder, batch = world["elder"], world["batch"]
    return [
        reverse("funds:accounts", args=[elder.pk]),
        reverse("funds:account_edit", args=[world["card"].pk]),
        reverse("funds:accounts_status_import"),
        reverse("funds:prediction", args=[batch.pk]),
        reverse("funds:prediction", args=[batch.pk]) + "?verdict=failing",
        reverse("funds:my_accounts"),
    ]


def test_anonymous_goes_to_sign_in(client, world):
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    for url in [
        reverse("funds:account_reveal", args=[world["card"].pk]),
        reverse("funds:prediction_run", args=[world["batch"].pk]),
        reverse("funds:line_reroute", args=[world["line"].pk]),
    ]:
        assert client.post(url).status_code == 302


@pytest.mark.parametrize(
    "who", ["admin", "cy", "hd", "cy_street", "cy_grass", "auditor", "nopost", "member"]
)
def test_no_page_fails_for_any_role(client, world, users, who):
    client.force_login(getattr(users, who))
    for url in pages(world):
        assert client.get(url).status_code in (200, 403, 404), url


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("cy", 200),
        ("cy_street", 200),
        ("cy_grass", 200),
        ("auditor", 200),
        ("hd", 404),
        ("nopost", 404),
        ("member", 404),
    ],
)
def test_who_sees_a_payee_s_accounts(client, world, users, who, status):
    client.force_login(getattr(users, who))
    response = client.get(reverse("funds:accounts", args=[world["elder"].pk]))
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert "*" * 15 + "0003" in text
        assert CARD not in text


def test_haidian_cannot_reach_chaoyang_accounts_by_any_page(client, world, users):
    client.force_login(users.hd)
    card, line = world["card"], world["line"]
    assert client.get(reverse("funds:account_edit", args=[card.pk])).status_code == 404
    assert client.post(reverse("funds:account_reveal", args=[card.pk])).status_code == 404
    assert client.get(reverse("funds:prediction", args=[world["batch"].pk])).status_code == 404
    response = client.post(
        reverse("funds:line_reroute", args=[line.pk]), {"account": world["passbook"].pk}
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="pii.reveal").exists()
    # And Chaoyang cannot open Haidian's payee.
    client.force_login(users.cy)
    assert client.get(reverse("funds:accounts", args=[world["far"].pk])).status_code == 404


def test_only_a_post_with_view_pii_may_reveal_and_it_is_audited(client, world, users):
    url = reverse("funds:account_reveal", args=[world["card"].pk])
    client.force_login(users.cy_grass)
    page = client.get(reverse("funds:accounts", args=[world["elder"].pk])).content.decode()
    assert "查看完整" not in page
    assert client.post(url).status_code == 403

    client.force_login(users.cy)
    page = client.get(reverse("funds:accounts", args=[world["elder"].pk])).content.decode()
    assert "查看完整" in page and CARD not in page
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200 and CARD in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="pii.reveal")
    assert event.actor_id == users.cy.pk and event.object_id == str(world["card"].pk)


def test_staff_add_an_account_and_errors_stand_beside_the_field(client, world, users):
    client.force_login(users.cy)
    url = reverse("funds:accounts", args=[world["elder"].pk])
    bad = "6217000010000000004"
    response = client.post(
        url, {"kind": "bank_card", "account_class": "I", "bank": "工商银行", "number": bad}
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "校验位" in text and bad not in text  # the typed number is not echoed back

    number = card_number("622202")
    response = client.post(
        url,
        {
            "kind": "bank_card",
            "account_class": "I",
            "bank": "工商银行",
            "number": number,
            "last_activity": "2026-01-05",
            "balance": "12.50",
        },
    )
    assert response.status_code == 302
    added = PayeeAccount.objects.get(bank="工商银行")
    assert added.number == number and added.balance == 1250

    response = client.post(
        url, {"kind": "passbook", "account_class": "II", "bank": "x", "number": number}
    )
    assert "不分Ⅰ/Ⅱ/Ⅲ类" in response.content.decode()


def test_a_grassroots_post_gets_no_add_form_and_cannot_post_one(client, world, users):
    client.force_login(users.cy_grass)
    url = reverse("funds:accounts", args=[world["elder"].pk])
    assert "登记收款账户" not in client.get(url).content.decode().split("</h1>", 1)[1]
    response = client.post(
        url,
        {"kind": "bank_card", "account_class": "I", "bank": "工商银行", "number": card_number()},
    )
    assert response.status_code == 403
    assert PayeeAccount.objects.filter(person=world["elder"]).count() == 2


def test_staff_record_the_bank_s_report_on_the_edit_page(client, world, users):
    client.force_login(users.cy)
    card = world["card"]
    response = client.post(
        reverse("funds:account_edit", args=[card.pk]),
        {"status": "locked", "bank": "北京银行", "is_default": "on", "balance": "0"},
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == "locked" and card.status_reported_at is not None

    client.force_login(users.cy_grass)  # holds no funds.pay anywhere: no such page
    assert client.get(reverse("funds:account_edit", args=[card.pk])).status_code == 404


def test_the_prediction_page_groups_lines_and_re_routes(client, world, users):
    batch, line = world["batch"], world["line"]
    batch_predict(actor=users.cy, batch=batch, today=TODAY)
    client.force_login(users.cy)
    url = reverse("funds:prediction", args=[batch.pk])

    text = client.get(url).content.decode()
    assert "Ⅱ类账户单日非绑定账户转入超过限额" in text
    assert "存折 北京农商银行" in text and "采纳建议" in text
    assert CARD not in text and world["passbook"].number not in text

    response = client.post(
        reverse("funds:line_reroute", args=[line.pk]), {"account": world["passbook"].pk}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.account_id == world["passbook"].pk and line.prediction == ""


def test_reroute_to_another_payee_s_account_is_refused_on_the_page(client, world, users):
    client.force_login(users.cy)
    stranger = make_account(make_member(world["elder"].org_unit, "李四"), kind="passbook")
    response = client.post(
        reverse("funds:line_reroute", args=[world["line"].pk]),
        {"account": stranger.pk},
        follow=True,
    )
    assert "只能改用该收款人本人的账户" in response.content.decode()
    world["line"].refresh_from_db()
    assert world["line"].account_id == world["card"].pk


def test_run_and_accept_all_from_the_page(client, world, users):
    client.force_login(users.cy)
    batch = world["batch"]
    response = client.post(reverse("funds:prediction_run", args=[batch.pk]), follow=True)
    assert "预计失败 1 笔" in response.content.decode()
    response = client.post(reverse("funds:prediction_accept_all", args=[batch.pk]), follow=True)
    assert "已采纳 1 笔" in response.content.decode()
    assert PayoutLine.objects.get(pk=world["line"].pk).account_id == world["passbook"].pk


def test_grassroots_and_auditors_do_not_act_on_a_batch(client, world, users):
    batch = world["batch"]
    for who in ("cy_grass", "auditor"):
        client.force_login(getattr(users, who))
        response = client.post(reverse("funds:prediction_run", args=[batch.pk]))
        assert response.status_code in (403, 404)
    client.force_login(users.auditor)
    assert (
        "运行失败预判"
        not in client.get(reverse("funds:prediction", args=[batch.pk])).content.decode()
    )
    batch.refresh_from_db()
    assert batch.predicted_on is None


def test_the_member_sees_their_own_accounts_masked(client, world, users):
    client.force_login(users.member)
    text = client.get(reverse("funds:my_accounts")).content.decode()
    assert "*" * 15 + "0003" in text and CARD not in text
    assert "北京农商银行" in text

    client.force_login(make_user("someone", None, None))
    assert "尚未关联会员信息" in client.get(reverse("funds:my_accounts")).content.decode()
