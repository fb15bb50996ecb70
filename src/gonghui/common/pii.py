"""Personal data kinds (resident ID, phone, bank account): normalise, validate, mask.

One place for the rules, so every model, form, import and API treats them alike.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from stdnum import exceptions as stdnum_exc
from stdnum import numdb
from stdnum.cn import ric
from stdnum.luhn import is_valid as luhn_is_valid

from gonghui.common.errors import ValidationFailed


def _fold(raw: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), upper-case, no spaces or dashes."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", str(raw))).upper()


def id_check_digit(body: str) -> str:
    """The GB 11643 check digit of a 17-digit body (stdnum wants a full-length number)."""
    return ric.calc_check_digit(body + "0")


def normalize_id_number(raw: str, *, field: str = "id_number") -> str:
    """A valid 18-character resident ID (GB 11643), converting 15-digit numbers.

    Raises ``ValidationFailed`` naming the reason (format, birth date, check digit or
    region) without quoting any of the number's digits: the message may be shown beside
    the masked number, to people who may not see the rest.
    """
    value = _fold(raw)
    if re.fullmatch(r"\d{15}", value):
        body = value[:6] + "19" + value[6:]
        value = body + id_check_digit(body)
    reason = id_number_problem(value)
    if reason:
        raise ValidationFailed({field: reason})
    return value


def id_number_problem(value: str) -> str | None:
    """What is wrong with an 18-character resident ID, or None. Said without its digits."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "身份证号应为18位（末位可为X）或15位数字"
    try:
        birth = ric.get_birth_date(value)
    except stdnum_exc.ValidationError:
        return "身份证号中的出生日期（第7至14位）不是有效日期"
    if birth > date.today() or birth.year < 1880:
        return "身份证号中的出生日期晚于今天或早于1880年"
    if id_check_digit(value[:17]) != value[17]:
        return "身份证号校验位错误（末位与前17位不符），请核对"
    if not region_assigned(value[:6]):
        return "身份证号前6位不是任何时期的行政区划代码"
    return None


# Codes outside GB/T 2260 that numbers still carry: 830000 heads the residence permits of
# Taiwan residents (港澳台居民居住证, 2018; 810000 and 820000, Hong Kong and Macao, are in
# GB/T 2260 and in stdnum's table, 830000 is not).
EXTRA_REGIONS = frozenset({"830000"})


@lru_cache(maxsize=65536)
def region_assigned(region: str) -> bool:
    """Whether ``region`` was ever a code of GB/T 2260 (stdnum's table of every code since
    the standard's first edition, 1980, with the years each was in use).

    The years are deliberately not compared with the birth year: an 18-digit number carries
    the code in force where and when it was ISSUED (or re-issued, when 15 digits became 18
    in 1999), not at birth: 110112 (通州区, from 1997) is held by people born in 1950."""
    if region in EXTRA_REGIONS:
        return True
    found = numdb.get("cn/loc").info(region)
    return any("county" in props for _part, props in found)


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """Mainland mobile (11 digits, 1[3-9]…) or a fixed line with area code (e.g. 010-…)."""
    value = _fold(raw).removeprefix("+86")
    if re.fullmatch(r"1[3-9]\d{9}", value) or re.fullmatch(r"0\d{9,11}", value):
        return value
    raise ValidationFailed({field: "手机号应为11位（1开头），固话应带区号"})


def normalize_contact(raw: str, *, field: str = "contact") -> str:
    """How to reach someone: a phone number, or an e-mail address."""
    value = unicodedata.normalize("NFKC", str(raw)).strip()
    if "@" in value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValidationFailed({field: "电子邮箱格式不正确"}) from None
        return value.lower()
    return normalize_phone(value, field=field)


def normalize_bank_account(raw: str, *, field: str = "bank_account") -> str:
    value = _fold(raw)
    if not re.fullmatch(r"\d{12,19}", value):
        raise ValidationFailed({field: "银行账号应为12至19位数字"})
    if len(value) in (16, 19) and not luhn_is_valid(value):
        raise ValidationFailed({field: "银行卡号校验位错误"})
    return value


@dataclass(frozen=True)
class Kind:
    normalize: object
    keep_head: int
    keep_tail: int
    label: str


KINDS = {
    # At most the first 2 and last 2 of an ID number: region, birth date and sequence
    # stay hidden, so the birth date shown elsewhere cannot rebuild the number.
    "id_number": Kind(normalize_id_number, 2, 2, "身份证号"),
    "phone": Kind(normalize_phone, 3, 2, "联系电话"),
    "bank_account": Kind(normalize_bank_account, 0, 4, "银行账号"),
    "contact": Kind(normalize_contact, 2, 2, "联系方式"),
}


def normalize(kind: str, raw: str, *, field: str | None = None) -> str:
    return KINDS[kind].normalize(raw, field=field or kind)


def mask(kind: str, value: str | None) -> str:
    if not value:
        return ""
    spec = KINDS[kind]
    hidden = len(value) - spec.keep_head - spec.keep_tail
    return value[: spec.keep_head] + "*" * max(hidden, 0) + value[len(value) - spec.keep_tail :]


def mask_name(name: str | None) -> str:
    """A name as a counter may see it: the first character and a star for each other
    (赵* / 欧阳**)."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


def problem(kind: str, value: str | None) -> str | None:
    """Why a stored value fails today's rules (None if it passes or is empty): for a warning
    beside the record. Stored values are never re-validated on the way to a page; a record
    written under older rules still opens."""
    if not value:
        return None
    try:
        normalized = normalize(kind, value)
    except ValidationFailed as exc:
        return next(iter(exc.fields.values()))
    return None if normalized == value else f"{KINDS[kind].label}未按标准格式保存"
