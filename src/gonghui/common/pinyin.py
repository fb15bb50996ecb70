"""Pinyin of Chinese names: how a name is read (its usual reading) and what else a searcher
may type for it (its other readings), and a sort key that orders names as a dictionary does.

Rules a name's reading follows:

* The surname (the two-character surnames of ``SURNAMES`` first) is read only as a surname
  is: by ``SURNAMES``, else by the character's usual reading. pypinyin's other readings of a
  surname character are never offered (王 is never yu, 石 never dan, 丁 never zheng, 尉 is
  wei but 尉迟 yu chi), and its default reading is wrong for many surnames (单 shan, 曾
  zeng, 解 xie ...).
* The given name's usual reading is pypinyin's (phrases considered); the other readings of
  its characters are offered too, for recall, ranked after the usual one by the search.
* A character pypinyin has no reading for (𠮷, CJK Extension B, and rare ones it lacks) is
  kept as itself: nothing is silently dropped, so 𠮷文 is never read as "wen".
* A reading set by staff (``Person.name_reading``, e.g. "ji wen") is the usual reading.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import islice, product

from pypinyin import Style, lazy_pinyin, pinyin

# Chinese characters: CJK Unified Ideographs with Extension A, Extensions B to I, the
# compatibility ideographs (NFKC folds most onto unified ones) and 〇 (U+3007).
HAN = re.compile(
    "[\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\U00030000-\U000323af]"
)

# How surnames are read, where that is not the character's usual reading or where a surname
# has more than one reading (the first is the usual one). Two-character surnames are matched
# before one-character ones; a name must have a given name after its surname.
SURNAMES: dict[str, tuple[str, ...]] = {
    # Two-character surnames (复姓), all of them: they decide where the given name starts.
    "欧阳": ("ou yang",),
    "司马": ("si ma",),
    "上官": ("shang guan",),
    "诸葛": ("zhu ge",),
    "东方": ("dong fang",),
    "皇甫": ("huang fu",),
    "尉迟": ("yu chi",),
    "公孙": ("gong sun",),
    "慕容": ("mu rong",),
    "长孙": ("zhang sun",),
    "宇文": ("yu wen",),
    "司徒": ("si tu",),
    "司空": ("si kong",),
    "令狐": ("ling hu",),
    "端木": ("duan mu",),
    "夏侯": ("xia hou",),
    "轩辕": ("xuan yuan",),
    "西门": ("xi men",),
    "南宫": ("nan gong",),
    "万俟": ("mo qi",),
    "单于": ("chan yu",),
    "澹台": ("tan tai",),
    "乐正": ("yue zheng",),
    "公冶": ("gong ye",),
    "宗政": ("zong zheng",),
    "濮阳": ("pu yang",),
    "淳于": ("chun yu",),
    "太叔": ("tai shu",),
    "申屠": ("shen tu",),
    "闻人": ("wen ren",),
    "赫连": ("he lian",),
    "钟离": ("zhong li",),
    "呼延": ("hu yan",),
    "拓跋": ("tuo ba",),
    "独孤": ("du gu",),
    "公羊": ("gong yang",),
    "左丘": ("zuo qiu",),
    "东郭": ("dong guo",),
    "百里": ("bai li",),
    "第五": ("di wu",),
    "亓官": ("qi guan",),
    "子车": ("zi ju",),
    "鲜于": ("xian yu",),
    "闾丘": ("lv qiu",),
    "司寇": ("si kou",),
    "颛孙": ("zhuan sun",),
    "巫马": ("wu ma",),
    "漆雕": ("qi diao",),
    "壤驷": ("rang si",),
    "段干": ("duan gan",),
    # One-character surnames whose surname reading is not pypinyin's usual reading.
    "单": ("shan",),
    "曾": ("zeng",),
    "解": ("xie",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "查": ("zha",),
    "缪": ("miao",),
    "翟": ("zhai",),
    "繁": ("po",),
    "折": ("she",),
    "员": ("yun",),
    "召": ("shao",),
    "种": ("chong",),
    "秘": ("bi",),
    "薄": ("bo",),
    "句": ("gou",),
    "隗": ("wei", "kui"),
    "阚": ("kan",),
    "重": ("chong",),
    "都": ("du",),
    "藏": ("zang",),
    "卜": ("bu",),
    "长": ("chang",),
    "能": ("nai",),
    "祭": ("zhai",),
    "角": ("jue",),
    "粘": ("nian",),
    "佴": ("nai",),
    "洗": ("xian",),
    "适": ("kuo",),
    "炅": ("gui", "jiong"),
    "黑": ("he", "hei"),
    # Surnames with more than one reading as a surname.
    "覃": ("qin", "tan"),
    "盖": ("ge", "gai"),
    "乐": ("yue", "le"),
    "蔚": ("yu", "wei"),
    "谌": ("chen", "shen"),
    "牟": ("mou", "mu"),
    "莘": ("shen", "xin"),
    "郇": ("huan", "xun"),
    "行": ("xing", "hang"),
    "颉": ("xie", "jie"),
}
MAX_READINGS = 16  # reading combinations kept per name (for search keys), the usual first
SYLLABLE = re.compile(r"[a-z]{1,6}")  # a syllable as staff write it (zhuang is the longest)


def han(name: str) -> str:
    """The Chinese characters of ``name`` (NFKC-folded), what its reading has a syllable
    for: a middle dot, Latin letters or digits in a name have none."""
    return "".join(HAN.findall(unicodedata.normalize("NFKC", name or "")))


def surname(name: str) -> str:
    """The surname of ``name`` (欧阳 of 欧阳娜娜, 王 of 王小明), as its reading takes it."""
    return _surname(han(name))[0]


def _surname(chars: str) -> tuple[str, tuple[tuple[str, ...], ...]]:
    """The surname of the name ``chars`` and its readings as a surname, the usual first."""
    # A two-character surname needs a given name after it (欧阳 alone is 欧 + 阳).
    for surname in (chars[:2] if len(chars) > 2 else "", chars[:1]):
        if surname in SURNAMES:
            return surname, tuple(tuple(r.split()) for r in SURNAMES[surname])
    surname = chars[:1]
    return surname, ((_usual(surname),),) if surname else ()


@lru_cache(maxsize=8192)
def _usual(char: str) -> str:
    """A character's usual reading, or the character itself if pypinyin has none."""
    return lazy_pinyin(char, errors=lambda chars: list(chars))[0]


@lru_cache(maxsize=8192)
def _all(char: str) -> tuple[str, ...]:
    """A character's readings, its usual one first (itself if pypinyin has none)."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors=lambda chars: [[chars]])
    usual = _usual(char)
    return (usual, *(r for r in found[0] if r != usual))


def parse_reading(reading: str) -> tuple[str, ...]:
    """A reading as staff write it ("Ji Wen", "jí wén", "lü") as syllables ("ji", "wen"),
    tone marks dropped and ü written v, as pypinyin writes it; ``()`` when it is not a
    reading (see ``reading_problem``)."""
    text = unicodedata.normalize("NFC", (reading or "").lower()).replace("ü", "v")
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    syllables = tuple(text.split())
    return syllables if all(SYLLABLE.fullmatch(s) for s in syllables) else ()


def reading_problem(name: str, reading: str) -> str:
    """Why ``reading`` cannot be the reading of ``name`` ("" when it can): one syllable of
    Latin letters per Chinese character of the name, separated by spaces."""
    if not (reading or "").strip():
        return ""
    syllables = parse_reading(reading)
    if not syllables:
        return "姓名拼音只能由拉丁字母组成，每个字一个音节，音节之间用空格分隔（如 ji wen）"
    chars = han(name)
    if len(syllables) != len(chars):
        return (
            f"姓名拼音应与姓名的汉字一一对应：姓名有 {len(chars)} 个汉字，"
            f"拼音有 {len(syllables)} 个音节"
        )
    return ""


def clean_reading(reading: str) -> str:
    """A valid reading as stored: syllables in lower case, one space between them."""
    return " ".join(parse_reading(reading))


@lru_cache(maxsize=65536)
def name_readings(name: str, reading: str = "") -> tuple[tuple[str, ...], ...]:
    """How ``name`` may be read, as syllables: its usual reading first (``reading`` if staff
    set one, else the surname's reading as a surname and pypinyin's for the given name),
    then the combinations of the given name's other readings and the surname's other
    surname readings, at most ``MAX_READINGS``. Cached: names repeat, in bulk above all."""
    usual = usual_reading(name, reading)
    if not usual:
        return ()
    chars = han(name)
    surname, surname_readings = _surname(chars)
    options = [surname_readings, *(tuple((r,) for r in _all(c)) for c in chars[len(surname) :])]
    others = (sum(parts, ()) for parts in product(*options))
    return tuple(islice(dict.fromkeys((usual, *others)), MAX_READINGS))


@lru_cache(maxsize=65536)
def usual_reading(name: str, reading: str = "") -> tuple[str, ...]:
    """The reading ``name`` is filed and found under first: ``reading`` (set by staff), else
    the surname's usual surname reading and the given name's usual reading. A character
    without a reading stays itself."""
    chars = han(name)
    own = parse_reading(reading)
    if own and len(own) == len(chars):
        return own
    surname, surname_readings = _surname(chars)
    given = chars[len(surname) :]
    rest = lazy_pinyin(given, errors=lambda unread: list(unread)) if given else []
    return (*(surname_readings[0] if surname_readings else ()), *rest)


def sort_key(name: str, reading: str = "") -> str:
    """Dictionary order: the name's usual reading, syllable by syllable ("li0zhi" before
    "lian0hua"). Syllables are joined by "0", not a space: every collation (SQLite's
    BINARY, PostgreSQL's C or en_US) orders digits before letters, while en_US would ignore a
    space and put lianhua before lizhi. A character without a reading stays itself (after
    every letter): the dictionary files it under "#" until staff set the name's reading."""
    return "0".join(usual_reading(name, reading))[:120]
