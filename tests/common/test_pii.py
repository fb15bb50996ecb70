import re
from datetime import UTC, date, datetime

import pytest

from gonghui.common import pii
from gonghui.common.errors import ValidationFailed
from gonghui.common.formats import cn_date, cn_datetime, yuan
from gonghui.common.pinyin import sort_key


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),  # lower-case x
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full-width
        (" 110105 19491231 002X ", "11010519491231002X"),  # spaces
        ("110105491231002", "11010519491231002X"),  # 15 digits -> 18
        ("110103194912310027", "110103194912310027"),  # old Chongwen district code
    ],
)
def test_id_numbers_are_normalised(raw, expected):
    assert pii.normalize_id_number(raw) == expected


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("110105194912310021", "校验位错误"),
        ("110105194902300026", "出生日期（第7至14位）不是有效日期"),
        ("11010519491231002", "18位"),
        ("abc", "18位"),
        ("990105194912310023", "前6位不是任何时期的行政区划代码"),
    ],
)
def test_bad_id_numbers_say_why(raw, reason):
    with pytest.raises(ValidationFailed) as err:
        pii.normalize_id_number(raw)
    assert reason in err.value.fields["id_number"]


def quoted_digits(message: str, number: str) -> list[str]:
    """Runs of 3 or more digits in ``message`` that repeat digits the mask of ``number``
    hides (its 3rd to 16th characters), with or without the dashes of a date."""
    hidden = number[2:-2]
    runs = re.findall(r"\d{3,}", message.replace("-", ""))
    return [run for run in runs if run in hidden]


def with_check(body: str) -> str:
    return body + pii.id_check_digit(body)


@pytest.mark.parametrize(
    "number",
    [
        "110105199013140012",  # 13th month
        "110105199002300017",  # 30 February
        with_check("11010520991231001"),  # born in the future
        with_check("11010518000101001"),  # born before 1880
        "110105199003070039",  # check digit
        with_check("11990019900307003"),  # a region code never assigned
        "1101051990030700",  # too short
    ],
)
def test_reasons_never_quote_what_the_mask_hides(number):
    """The import report once said "出生日期 19901314 不存在" beside 11**************54:
    12 of 18 digits. A reason says what is wrong, never which digits."""
    with pytest.raises(ValidationFailed) as err:
        pii.normalize_id_number(number)
    message = err.value.fields["id_number"]
    assert message and quoted_digits(message, number) == [], message


@pytest.mark.parametrize("region", ["110112", "110111", "110114", "110115"])
def test_codes_of_the_whole_history_are_accepted_whatever_the_birth_year(region):
    """通州 (1997-), 房山 (1986-), 昌平 (1999-), 大兴 (2001-): held by people born in 1960,
    whose 18-digit numbers were issued under the code in force at issue, not at birth."""
    number = with_check(f"{region}19600415001")
    assert pii.normalize_id_number(number) == number
    assert pii.problem("id_number", number) is None


def test_codes_no_longer_in_use_and_new_ones_are_accepted():
    assert pii.normalize_id_number(with_check("11022419550101001"))  # 大兴县, until 2001
    assert pii.normalize_id_number(with_check("11011919500101002"))  # 延庆区, from 2015
    assert pii.normalize_id_number(with_check("41272319700101003"))  # 商水县 (Henan), to 2000


@pytest.mark.parametrize("region", ["119900", "110199", "990105", "000000"])
def test_a_code_never_assigned_stays_an_error(region):
    with pytest.raises(ValidationFailed) as err:
        pii.normalize_id_number(with_check(f"{region}19600415001"))
    assert "行政区划代码" in err.value.fields["id_number"]


def test_future_birth_date_is_refused():
    body = "11010520991231001"
    with pytest.raises(ValidationFailed) as err:
        pii.normalize_id_number(body + pii.id_check_digit(body))
    assert "晚于今天" in err.value.fields["id_number"]


def test_masks_hide_all_but_the_ends():
    assert pii.mask("id_number", "11010519491231002X") == "11**************2X"
    assert pii.mask("phone", "13800138000") == "138******00"
    assert pii.mask("bank_account", "6222020200112233445") == "***************3445"
    assert pii.mask("id_number", None) == ""


def test_phones_are_normalised_or_refused():
    assert pii.normalize_phone("+86 138-0013-8000") == "13800138000"
    assert pii.normalize_phone("010-65123456") == "01065123456"
    with pytest.raises(ValidationFailed):
        pii.normalize_phone("12345")


def test_bank_accounts_are_luhn_checked_and_normalised():
    with pytest.raises(ValidationFailed) as err:
        pii.normalize_bank_account("6222020200112233445")  # Luhn fails
    assert "校验位" in err.value.fields["bank_account"]
    assert pii.normalize_bank_account("6222 0202 0011 2233 446") == "6222020200112233446"


def test_pinyin_sort_key_orders_as_a_dictionary_under_any_collation():
    names = ["连华", "李志", "单田芳", "曾志伟", "赵郁", "解缙"]
    assert sorted(names, key=sort_key) == ["李志", "连华", "单田芳", "解缙", "曾志伟", "赵郁"]
    assert sort_key("李志") == "li0zhi" and " " not in sort_key("单田芳")


def test_dates_as_offices_write_them():
    assert cn_date(date(2025, 10, 10)) == "2025年10月10日"
    assert cn_datetime(datetime(2025, 9, 30, 16, 5, tzinfo=UTC)) == "2025年10月1日 00:05"


def test_money_as_offices_write_it():
    assert yuan(123456789) == "1,234,567.89元" and yuan(-5) == "-0.05元" and yuan(None) == ""
