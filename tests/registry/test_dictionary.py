from dataclasses import dataclass
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn

from gonghui.people.models import Person
from gonghui.people.services import person_update
from gonghui.registry import dictionary, selectors
from gonghui.registry.models import Award, Honour
from tests.factories import make_person

# Dictionary order by the surname table's reading: 单 shan (not dan), 解 xie (not jie),
# 曾 zeng (not ceng); 谢冰 xie bing before 解小东 xie xiao dong; 曾 before 张 and 赵.
EXPECTED = ["陈明", "丁一", "单田芳", "武润泽", "谢冰", "解小东", "曾志伟", "张三", "赵郁"]
CITY_DEEDS = "市级事迹，不应出现在全国劳模辞典中。"


@dataclass
class Book:
    """The people of the dictionary tests by name, and the honour whose book it is."""

    people: dict[str, Person]
    honour: Honour


@pytest.fixture
def book(registry, tree, honours) -> Book:
    """National model workers (each with a city honour first), in Chaoyang and Haidian."""
    people = dict(registry.people)
    for name, org_unit in [
        ("陈明", tree.cy_grass),
        ("丁一", tree.hd_grass),
        ("谢冰", tree.cy_grass),
        ("解小东", tree.hd_grass),
        ("张三", tree.cy_grass),
    ]:
        people[name] = make_person(org_unit, name, gender="M", birth_date=date(1970, 5, 1))
    city, national = honours["beijing-model-worker"], honours["national-model-worker"]
    for i, name in enumerate(EXPECTED):
        person = people[name]
        Award.objects.create(
            honour=city, person=person, org_unit=person.org_unit, year=2015, deeds=CITY_DEEDS
        )
        Award.objects.create(
            honour=national,
            person=person,
            org_unit=person.org_unit,
            year=2020,
            deeds=f"{name}的事迹：扎根一线{i}年。\n带出徒弟百余名。",
        )
    # Not in the national book: a city honour only, and a revoked national award.
    qian = people["钱学"]
    Award.objects.create(honour=city, person=qian, org_unit=qian.org_unit, year=2010)
    Award.objects.create(
        honour=national,
        person=qian,
        org_unit=qian.org_unit,
        year=2015,
        status=Award.Status.REVOKED,
        revoked_reason="核查撤销",
    )
    return Book(people=people, honour=national)


def test_entries_follow_the_surname_aware_pinyin_order(book, django_assert_num_queries):
    with django_assert_num_queries(2):  # people, then their awards: no query per entry
        entries = dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.all())
    assert [e.name for e in entries] == EXPECTED
    assert [s.letter for s in dictionary.sections(entries)] == ["C", "D", "S", "W", "X", "Z"]
    shan = entries[2]
    assert shan.sort_key.startswith("shan0") and shan.letter == "S"


def test_entry_holds_facts_honours_and_the_honours_deeds(book, registry):
    entries = {
        e.name: e for e in dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.all())
    }
    chen = entries["陈明"]
    assert (chen.gender, chen.birth_year) == ("男", 1970)
    assert chen.honours_text == "2015年 北京市劳动模范；2020年 全国劳动模范"
    assert chen.deeds == "陈明的事迹：扎根一线0年。\n带出徒弟百余名。"
    assert CITY_DEEDS not in chen.deeds  # deeds are the chosen honour's
    assert entries["赵郁"].employer == registry.employer.name
    assert "性别：男" in chen.facts_text and "出生年份：1970年" in chen.facts_text


def test_equal_names_are_ordered_by_id(book, tree, honours):
    twin = make_person(tree.cy_grass, "陈明")
    Award.objects.create(honour=book.honour, person=twin, org_unit=twin.org_unit, year=2020)
    entries = dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.all())
    chens = [e.person_id for e in entries if e.name == "陈明"]
    assert chens == sorted(chens) and len(chens) == 2


def test_syllables_compare_before_letters(book, tree):
    # 李志 "li zhi" before 连华 "lian hua" (a locale collation ignoring spaces would swap them)
    for name in ("连华", "李志"):
        person = make_person(tree.cy_grass, name)
        Award.objects.create(honour=book.honour, person=person, org_unit=person.org_unit, year=2020)
    names = [
        e.name for e in dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.all())
    ]
    assert names.index("李志") < names.index("连华")


def test_the_book_follows_the_callers_scope(book, users):
    scoped = selectors.award_list(actor=users.hd)  # Haidian's staff
    entries = dictionary.entries_for(honour=book.honour, awards_qs=scoped)
    assert [e.name for e in entries] == ["丁一", "解小东"]
    assert dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.none()) == []


def test_docx_holds_the_entries_in_order(book):
    out = BytesIO()
    dictionary.write_docx(honour=book.honour, out=out)
    document = Document(BytesIO(out.getvalue()))
    paragraphs = document.paragraphs
    text = "\n".join(p.text for p in paragraphs)
    assert "全国劳动模范大辞典" in text and f"收录 {len(EXPECTED)} 人" in text
    letters = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert letters == ["C", "D", "S", "W", "X", "Z"]
    names = [p.text for p in paragraphs if p.style.name == "Heading 2"]
    assert names == EXPECTED
    assert text.count("荣誉：2015年 北京市劳动模范；2020年 全国劳动模范") == len(EXPECTED)
    assert "解小东的事迹：扎根一线5年。" in text and CITY_DEEDS not in text
    # The deeds of 单田芳 follow her name and come before the next entry.
    at = [p.text for p in paragraphs].index("单田芳")
    assert paragraphs[at + 3].text == "单田芳的事迹：扎根一线2年。"
    # Chinese text has a Chinese font (w:eastAsia), not the template's theme font.
    for style in ("Normal", "Heading 2"):
        fonts = document.styles[style].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) in {"宋体", "黑体"}
        assert fonts.get(qn("w:eastAsiaTheme")) is None


def test_docx_of_a_given_entry_list(book, honours, tmp_path):
    path = tmp_path / "book.docx"
    dictionary.write_docx(honour=honours["beijing-master-craftsman"], out=str(path), entries=[])
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "北京大工匠大辞典" in text and "收录 0 人" in text


def test_html_holds_the_entries_without_inline_styles_or_scripts(book, tree, honours):
    mark = make_person(tree.cy_grass, "安<script>")
    Award.objects.create(
        honour=book.honour, person=mark, org_unit=mark.org_unit, year=2020, deeds="<b>x</b>"
    )
    html = dictionary.render_html(honour=book.honour)
    positions = [html.index(f"<h3>{name}</h3>") for name in EXPECTED]
    assert positions == sorted(positions)
    assert html.count("2015年 北京市劳动模范；2020年 全国劳动模范") == len(EXPECTED)
    assert "带出徒弟百余名。" in html and CITY_DEEDS not in html
    assert 'id="letter-S"' in html and "收录 10 人" in html
    assert "registry/dictionary.css" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # deeds are escaped


def test_a_name_is_filed_by_the_reading_staff_set(book, tree, users):
    """𠮷文: pypinyin has no reading for 𠮷. Without one the entry is filed under "#" after
    every letter (never under W, as if the name were 文); with the reading staff set
    (姓名拼音 ji wen), under J."""
    ji = make_person(tree.cy_grass, "\U00020bb7文")
    wei = make_person(tree.cy_grass, "尉迟敬德")  # yu chi: under Y, not W
    for person in (ji, wei):
        Award.objects.create(honour=book.honour, person=person, org_unit=person.org_unit, year=2020)

    def book_order():
        entries = dictionary.entries_for(honour=book.honour, awards_qs=Award.objects.all())
        return [(s.letter, [e.name for e in s.entries]) for s in dictionary.sections(entries)]

    sections = book_order()
    assert sections[-1] == ("#", ["\U00020bb7文"])
    assert ("Y", ["尉迟敬德"]) in sections and "W" in dict(sections)
    assert "\U00020bb7文" not in dict(sections)["W"]
    person_update(actor=users.cy, person=ji, data={"name_reading": "ji wen"})
    sections = dict(book_order())
    assert sections["J"] == ["\U00020bb7文"] and "#" not in sections
    assert list(sections) == ["C", "D", "J", "S", "W", "X", "Y", "Z"]
