"""Issue #18's rules, standard library only, at their boundaries: money in fen (never a
float, never a fraction of a fen), the certificate subsidy's levels and aliases, the
finalists, the critical-illness table (exactly 2,000元 and 20,000元; each hardship grade),
yearly caps, and the payout failure prediction for each account class, dormancy and lock."""

from datetime import date, timedelta

import pytest

from gonghui.common import formats, money
from gonghui.common.money import MoneyError
from gonghui.common.workdays import add_workdays
from gonghui.funds import prediction, rules
from gonghui.funds.rules import RuleError
from tests.contests import top_level_imports

CERTIFICATE = {
    "kind": "certificate",
    "levels": {"一级": 200000, "二级": 100000, "三级": 80000},
    "aliases": {
        "高级技师": "一级",
        "技师": "二级",
        "高级工": "三级",
        "高级社会工作者": "一级",
        "社会工作者": "二级",
    },
    "finalists": {"final": 10, "semi_final": 5, "level": "二级"},
    "cap_per_year": 200000,
}
ILLNESS = {
    "kind": "illness",
    "min": 200000,
    "max": 2000000,
    "bands": [
        {"from": 0, "amounts": {"一般困难": 200000, "特别困难": 500000}},
        {"from": 5000000, "amounts": {"一般困难": 800000, "特别困难": 1200000}},
        {"from": 20000000, "amounts": {"一般困难": 1500000, "特别困难": 2000000}},
    ],
}
TODAY = date(2027, 1, 28)


def test_the_rules_need_nothing_but_the_standard_library():
    for module in (money, rules, prediction):
        assert top_level_imports(module) <= {
            "__future__",
            "collections",
            "dataclasses",
            "datetime",
            "re",
        }, module


@pytest.mark.parametrize(
    ("text", "fen"),
    [("2000", 200000), ("2,000.5", 200050), ("528000.00", 52800000), ("0.01", 1), ("-3.20", -320)],
)
def test_yuan_text_becomes_exact_fen_and_back(text, fen):
    assert money.fen(text) == fen
    assert money.fen(money.yuan(fen)) == fen


@pytest.mark.parametrize("bad", ["0.001", "1e3", "2,00", "", "十元", "NaN", 20.5, True])
def test_what_is_not_an_exact_number_of_fen_is_refused(bad):
    with pytest.raises(MoneyError):
        money.fen(bad)


def test_amounts_as_banks_and_people_read_them():
    assert money.yuan(200050) == "2000.50" and money.yuan(5) == "0.05"
    assert formats.yuan(52800000) == "528,000.00元"
    assert money.wan(52800000) == "52.8万元" and money.wan(100000000) == "100万元"
    with pytest.raises(MoneyError):
        money.yuan(2000.5)


def test_certificate_levels_and_their_aliases():
    assert rules.certificate_amount(CERTIFICATE, "一级") == 200000
    assert rules.certificate_amount(CERTIFICATE, "高级技师") == 200000
    assert rules.certificate_amount(CERTIFICATE, "技师") == 100000
    assert rules.certificate_amount(CERTIFICATE, "高级工") == 80000
    assert rules.certificate_amount(CERTIFICATE, "社会工作者") == 100000  # → 二级
    assert rules.certificate_amount(CERTIFICATE, "高级社会工作者") == 200000  # → 一级
    with pytest.raises(RuleError, match="不在补贴范围内"):
        rules.certificate_amount(CERTIFICATE, "四级")


def test_finalists_top_ten_of_a_final_top_five_of_a_semi_final():
    assert rules.finalist_amount(CERTIFICATE, 10) == 100000
    assert rules.finalist_amount(CERTIFICATE, 5, "semi_final") == 100000
    for place, level in ((11, "final"), (6, "semi_final"), (0, "final")):
        with pytest.raises(RuleError, match="名次应在"):
            rules.finalist_amount(CERTIFICATE, place, level)


@pytest.mark.parametrize(
    ("self_paid", "grade", "aid"),
    [
        (0, "一般困难", 200000),  # exactly 2,000元: the table's floor
        (4999999, "特别困难", 500000),  # a fen below the second band
        (5000000, "一般困难", 800000),  # the second band from its first fen
        (20000000, "特别困难", 2000000),  # exactly 20,000元: the ceiling
        (99999999, "一般困难", 1500000),
    ],
)
def test_critical_illness_aid_by_band_and_grade(self_paid, grade, aid):
    assert rules.illness_amount(ILLNESS, self_paid, grade) == aid


def test_an_illness_table_outside_2000_to_20000_yuan_is_refused():
    over = {**ILLNESS, "bands": [{"from": 0, "amounts": {"一般困难": 2000001}}]}
    assert rules.problems(over) == {"bands.1": "救助金额应在 2000–20000 元之间（整数分）"}
    unordered = {**ILLNESS, "bands": list(reversed(ILLNESS["bands"]))}
    assert "bands" in rules.problems(unordered)
    with pytest.raises(RuleError, match="困难等级"):
        rules.illness_amount(ILLNESS, 0, "不困难")
    with pytest.raises(RuleError, match="自付费用"):
        rules.illness_amount(ILLNESS, -1, "一般困难")


def test_a_rule_names_what_is_wrong():
    assert rules.problems({"kind": "fixed", "amount": 0}) == {"amount": "金额应为正整数（分）"}
    assert "aliases" in rules.problems({**CERTIFICATE, "aliases": {"技师": "五级"}})
    assert "kind" in rules.problems({"kind": "lottery"})
    assert rules.problems(CERTIFICATE) == {} and rules.problems(ILLNESS) == {}


def test_the_yearly_cap():
    assert rules.over_cap(CERTIFICATE, 100000, 100000) == 0  # exactly at the cap
    assert rules.over_cap(CERTIFICATE, 100000, 100001) == 1
    assert rules.over_cap(ILLNESS, 10**9, 10**9) == 0  # no cap


def account(id, kind="union_card", cls="II", **extra):
    return (
        {"id": id, "kind": kind, "class": cls, "status": "active"}
        | {"last_activity": TODAY - timedelta(days=30)}
        | extra
    )


@pytest.mark.parametrize(
    ("payee", "amount", "reason"),
    [
        (account(1, received_today=0), 1_000_000, None),  # exactly 10,000元 today: fine
        (account(1, received_today=1), 1_000_000, "over_day"),
        (account(1, received_this_year=19_500_000), 600_000, "over_year"),
        (account(1, bound_to_payer=True, received_today=5_000_000), 1_000_000, None),
        (account(1, cls="III", balance=150_000), 50_000, None),  # exactly 2,000元 held
        (account(1, cls="III", balance=150_000), 50_001, "over_balance"),
        (account(1, status="locked"), 100, "locked"),
        (account(1, status="closed"), 100, "closed"),
        (account(1, status="dormant"), 100, "dormant"),
        (account(1, last_activity=TODAY - timedelta(days=366)), 100, "dormant"),
        (account(1, last_activity=TODAY - timedelta(days=365)), 100, None),
        (account(1, cls="I", received_today=10**9), 10**8, None),  # Ⅰ类: no such limit
        (None, 100, "missing"),
    ],
)
def test_each_account_class_dormancy_and_lock(payee, amount, reason):
    assert prediction.refusal(payee, amount, TODAY) == reason


def test_the_seeds_case_is_foreseen_and_rerouted_to_the_passbook():
    """Her Type II union card was locked for disuse and the condolence money was over its
    limit: foreseen, and her passbook proposed."""
    card = account(1, status="dormant", received_today=0)
    passbook = account(2, kind="passbook", cls=None)
    verdict = prediction.predict(1_200_000, card, [card, passbook], TODAY)
    assert (verdict.ok, verdict.reason, verdict.alternative) == (False, "dormant", 2)
    assert verdict.text == "账户长期未使用（久悬），银行将拒绝入账"
    over = prediction.predict(1_200_000, account(3), [account(3), passbook], TODAY)
    assert (over.reason, over.alternative) == ("over_day", 2)
    nowhere = prediction.predict(1_200_000, card, [card], TODAY)
    assert nowhere.reason == "dormant" and nowhere.alternative is None
    assert prediction.predict(100, passbook, [], TODAY).ok


@pytest.mark.django_db
def test_a_rerouted_line_in_time_for_the_deadline():
    """A run due on a Friday: a re-route the bank needs two working days for is in time
    when made on the Monday, not on the Friday (whose second working day is the Monday
    after); the working days are the calendar's."""
    deadline = date(2026, 3, 13)  # a Friday of an ordinary week
    assert prediction.in_time(date(2026, 3, 9), deadline, 2, add_workdays)
    assert not prediction.in_time(date(2026, 3, 13), deadline, 2, add_workdays)


def test_a_malformed_alias_table_or_finalist_rule_is_a_problem_not_a_crash():
    assert "aliases" in rules.problems({**CERTIFICATE, "aliases": ["技师"]})
    assert "finalists" in rules.problems({**CERTIFICATE, "finalists": "二级"})
    assert "finalists" in rules.problems({**CERTIFICATE, "finalists": {"level": "二级"}})
    with pytest.raises(rules.RuleError):
        rules.finalist_amount({**CERTIFICATE, "finalists": {"final": 10, "level": "二级"}}, 3)
