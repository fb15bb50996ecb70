"""Pinyin of Chinese names: the surname's reading from a table (pypinyin's default reading
is wrong for 单 shan, 曾 zeng, 解 xie ...), every reading combination for search keys, and
a sort key that orders names as a dictionary does."""

from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin, pinyin

# Polyphonic characters read differently as surnames. Two-character surnames first.
SURNAMES = {
    "万俟": ["mo", "qi"],
    "尉迟": ["yu", "chi"],
    "长孙": ["zhang", "sun"],
    "单于": ["chan", "yu"],
    "单": ["shan"],
    "曾": ["zeng"],
    "解": ["xie"],
    "仇": ["qiu"],
    "区": ["ou"],
    "朴": ["piao"],
    "查": ["zha"],
    "盖": ["ge"],
    "缪": ["miao"],
    "乐": ["yue"],
    "覃": ["qin"],
    "翟": ["zhai"],
    "繁": ["po"],
    "折": ["she"],
    "员": ["yun"],
    "召": ["shao"],
    "种": ["chong"],
    "秘": ["bi"],
    "华": ["hua"],
    "任": ["ren"],
    "纪": ["ji"],
    "燕": ["yan"],
    "宁": ["ning"],
    "那": ["na"],
    "葛": ["ge"],
    "薄": ["bo"],
    "沈": ["shen"],
    "谌": ["chen"],
    "句": ["gou"],
    "宿": ["su"],
    "柏": ["bai"],
    "冼": ["xian"],
    "黑": ["he"],
    "隗": ["wei"],
    "禚": ["zhuo"],
    "过": ["guo"],
    "尉": ["yu"],
    "阚": ["kan"],
    "令狐": ["ling", "hu"],
    "重": ["chong"],
    "都": ["du"],
    "藏": ["zang"],
    "卜": ["bu"],
}
MAX_READINGS = 16  # reading combinations kept per name (for search keys)


def _split_surname(name: str) -> tuple[str, list[str] | None]:
    for length in (2, 1):
        reading = SURNAMES.get(name[:length])
        if reading:
            return name[:length], reading
    return "", None


@lru_cache(maxsize=65536)
def name_readings(name: str) -> tuple[tuple[str, ...], ...]:
    """Every plausible reading of ``name`` as syllables (surname table first, then
    pypinyin's heteronyms), at most ``MAX_READINGS``. Cached: names repeat, in bulk above
    all."""
    surname, fixed = _split_surname(name)
    rest = name[len(surname) :]
    options = [[syllable] for syllable in (fixed or [])]
    options += [
        sorted(set(r)) for r in pinyin(rest, style=Style.NORMAL, heteronym=True, errors="ignore")
    ]
    return tuple(islice(product(*options), MAX_READINGS)) if options else ()


@lru_cache(maxsize=65536)
def sort_key(name: str) -> str:
    """Dictionary order: the name's usual reading (surname table first), syllable by
    syllable ("li0zhi" before "lian0hua"). Syllables are joined by "0", not a space: every
    collation (SQLite's BINARY, PostgreSQL's C or en_US) orders digits before letters, while
    en_US would ignore a space and put lianhua before lizhi."""
    surname, fixed = _split_surname(name)
    syllables = (fixed or []) + lazy_pinyin(name[len(surname) :], errors="ignore")
    return "0".join(syllables)[:120]
