"""Money as integer fen (分), never binary floating point. Standard library only.

Amounts arrive from people and files as yuan text ("2000", "2,000.00", "528000.5") and
leave as yuan text with two decimals, the way bank files carry them; inside, every amount is
an ``int`` of fen. A fraction of a fen is refused, never rounded: a subsidy is an exact sum.
"""

from __future__ import annotations

import re

YUAN = re.compile(
    r"(?P<sign>-?)(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<cents>[0-9]{1,2}))?"
)
FEN_PER_YUAN = 100
MAX_FEN = 10**15  # 10 trillion yuan: far beyond any programme, far inside a BIGINT


class MoneyError(ValueError):
    """An amount that is not an exact number of fen (the message says why)."""


def fen(amount) -> int:
    """Yuan (text, or an int of whole yuan) as fen: "2,000.50" → 200050. Refuses floats,
    fractions of a fen, exponents and anything else that is not a plain amount."""
    if isinstance(amount, bool | float):
        raise MoneyError(f"金额应为数字文本，不能是浮点数：{amount!r}")
    if isinstance(amount, int):
        value = amount * FEN_PER_YUAN
    else:
        text = str(amount).strip().replace("，", ",")
        match = YUAN.fullmatch(text)
        if match is None:
            if re.fullmatch(r"-?[0-9,]*\.[0-9]{3,}", text):
                raise MoneyError(f"金额最多精确到分（两位小数）：{text}")
            raise MoneyError(f"金额格式不正确：{text or '（空）'}")
        whole = int(match["whole"].replace(",", ""))
        cents = int((match["cents"] or "0").ljust(2, "0"))
        value = whole * FEN_PER_YUAN + cents
        if match["sign"]:
            value = -value
    if abs(value) > MAX_FEN:
        raise MoneyError("金额超出范围")
    return value


def yuan_check(amount) -> int:
    """``amount`` if it is an int of fen, else MoneyError."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError(f"金额应为整数分：{amount!r}")
    return amount


def yuan(amount: int) -> str:
    """Fen as yuan text with two decimals, no thousands separator: 200050 → "2000.50" (what
    bank files carry)."""
    yuan_check(amount)
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), FEN_PER_YUAN)
    return f"{sign}{whole}.{cents:02d}"


def wan(amount: int) -> str:
    """Fen in 万元 with as many decimals as the sum needs (fen are the sixth):
    52,800,000 fen → "52.8万元" (the seed's "41名会员获得大病救助52.8万元")."""
    sign = "-" if amount < 0 else ""
    whole, rest = divmod(abs(yuan_check(amount)), 10_000 * FEN_PER_YUAN)
    decimals = f"{rest:06d}".rstrip("0")
    return f"{sign}{whole}{'.' + decimals if decimals else ''}万元"
